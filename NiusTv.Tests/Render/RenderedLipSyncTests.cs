using NiusTv.Steps.Compose;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Warp;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Render;

/// <summary>Lip-sync measured on the rendered frames (issue 3, item 8): a story spoken by Festival, its
/// phones, landmarks from the phones (the landmarks step's animator), the warp renderer; the dark-pixel area of the mouth region per frame must
/// follow the speech's loudness envelope at frame rate.</summary>
[Trait("Speed", "Slow")]
public sealed class RenderedLipSyncTests
{
    [Fact]
    public async Task Dark_mouth_area_of_rendered_frames_follows_the_loudness_of_real_speech()
    {
        var festival = new FestivalSynthesizer();
        Assert.True(festival.IsAvailable, "Festival is installed by scripts/setup");
        using var dir = new TempFolder();
        var ct = TestContext.Current.CancellationToken;
        var wavPath = dir.Combine("speech.wav");
        // The same end-to-end test story as the lip-sync test on landmarks.json, so the two figures compare.
        var speech = await festival.SynthesizeAsync(Landmarks.LipSyncTests.Story, wavPath, ct);
        // Festival's own phones (what the synthesizer aligner hands on), as the landmarks tests read them.
        var phones = Landmarks.TestFaces.FromFestival(speech.Timings);
        var wav = WaveFile.Read(wavPath);
        const int fps = 30;

        var presenter = RenderTestSupport.DefaultPresenter();
        var track = LandmarkAnimator.Animate(presenter, phones, wav.Duration, fps, "flood-old-town");
        var (w, h) = RenderStep.SlotSize(1024, 512);
        var mouth = RenderTestSupport.MouthRegion(presenter, w, h);
        var dark = new List<double>();
        await new WarpRenderer().RenderAsync(new RenderRequest("lipsync", StoryPriority.Normal, presenter, track, w, h),
            f => { dark.Add(RenderTestSupport.DarkPixels(f.Span, w, mouth)); return ValueTask.CompletedTask; }, new ProgressLog(), ct);
        Assert.Equal(track.Frames.Length, dark.Count);

        var loudness = LipSync.LoudnessEnvelope(wav, fps, dark.Count);
        var score = LipSync.BestLag(dark, loudness);
        var gaps = LipSync.MouthOpening(track);
        TestContext.Current.SendDiagnosticMessage($"inner-lip gap vs loudness r = {LipSync.Pearson(gaps, loudness):0.000}; dark area vs gap r = " +
            $"{LipSync.Pearson(dark.ToArray(), gaps):0.000} (how faithfully the renderer shows the landmarks)");
        TestContext.Current.SendDiagnosticMessage($"rendered lip-sync: r = {score.R:0.000} at lag 0, best lag {score.BestLag} (r = {score.BestR:0.000}) over {dark.Count} frames");
        Assert.True(score.R >= 0.5, $"dark mouth area and loudness correlate with r = {score.R:0.000} only");
        Assert.InRange(score.BestLag, -1, 1);
        // The mouth really moves: closed (no dark interior) in pauses, a real hole on open vowels.
        Assert.True(dark.Max() > 150 && dark.Min() < dark.Max() / 5, $"dark area ranges {dark.Min()}..{dark.Max()} pixels");
    }
}
