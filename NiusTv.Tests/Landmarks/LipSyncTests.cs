using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Speech;
using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Landmarks;

[Trait("Speed", "Slow")]
public sealed class LipSyncTests
{
    /// <summary>A real news story of a few sentences, two paragraphs, read by Festival.</summary>
    internal static readonly string[] Story =
    [
        "Heavy rain flooded parts of the old town on Monday morning. Firefighters pumped water out of more than forty " +
        "basements, and the main bridge was closed for six hours while engineers checked its foundations.",
        "The mayor promised money for better drains. Residents say they have asked for them since the last flood, " +
        "nine years ago, and they want work to begin before the winter.",
    ];

    [Fact]
    public void Pearson_and_best_lag_find_a_known_shift()
    {
        var random = new Random(7);
        var signal = Enumerable.Range(0, 300).Select(i => Math.Max(0, Math.Sin(i / 4.0)) + 0.2 * random.NextDouble()).ToArray();
        var delayed = Enumerable.Range(0, 300).Select(i => i >= 2 ? signal[i - 2] : 0).ToArray();
        Assert.Equal(1.0, LipSync.Pearson(signal, signal), 9);
        Assert.Equal(-1.0, LipSync.Pearson(signal, signal.Select(v => -v).ToArray()), 9);
        Assert.Equal(0, LipSync.Pearson(signal, new double[300]));
        // The sound comes 2 frames after the mouth: the mouth leads by 2.
        var score = LipSync.BestLag(signal, delayed);
        Assert.Equal(2, score.BestLag);
        Assert.True(score.BestR > 0.99 && score.R < score.BestR);
        Assert.Equal(-2, LipSync.BestLag(delayed, signal).BestLag);
    }

    [Fact]
    public void Loudness_envelope_is_the_rms_of_each_frame_window()
    {
        // 1 s at 8 kHz: silence, then a full-scale square wave, at 4 fps: windows of 2000 samples.
        var samples = new short[8000];
        for (int i = 4000; i < 8000; i++) samples[i] = (short)(i % 2 == 0 ? 16384 : -16384);
        var envelope = LipSync.LoudnessEnvelope(new WaveFile(8000, samples), 4);
        Assert.Equal([0, 0, 0.5, 0.5], envelope.Select(v => Math.Round(v, 6)));
        Assert.Equal(5, LipSync.LoudnessEnvelope(new WaveFile(8000, samples), 5).Length);
    }

    [Fact]
    public async Task Mouth_opening_in_landmarks_follows_the_loudness_of_festival_speech()
    {
        var festival = new FestivalSynthesizer();
        Assert.True(festival.IsAvailable, "festival and festvox-us-slt-hts must be installed for this test");
        using var folder = new TempFolder();
        var presenter = new PresenterLibrary(Path.Combine(Nius.RepoRoot, "presenters"), folder.Combine("cache"),
            () => new DlibFaceLandmarkDetector()).Reference("default");
        var wavPath = folder.Combine("speech.wav");
        var speech = await festival.SynthesizeAsync(Story, wavPath, TestContext.Current.CancellationToken);
        var phones = TestFaces.FromFestival(speech.Timings);
        var wav = WaveFile.Read(wavPath);

        foreach (var fps in new[] { 25, 30 })
        {
            var track = LandmarkAnimator.Animate(presenter, phones, wav.Duration, fps, "flood-old-town");
            var mouth = LipSync.MouthOpening(track);
            var loudness = LipSync.LoudnessEnvelope(wav, fps, track.Frames.Length);
            var score = LipSync.BestLag(mouth, loudness);
            TestContext.Current.SendDiagnosticMessage(
                $"lip-sync on landmarks.json at {fps} fps over {wav.Duration:0.0} s: r = {score.R:0.000} at lag 0, best r = {score.BestR:0.000} at lag {score.BestLag:+0;-0;0} frames");
            Console.WriteLine($"lip-sync {fps} fps: r={score.R:0.000} bestLag={score.BestLag} bestR={score.BestR:0.000}");
            Assert.True(score.R >= 0.5, $"at {fps} fps the mouth opening correlates with loudness at r = {score.R:0.000} only");
            Assert.InRange(score.BestLag, -1, 1);
        }
    }
}
