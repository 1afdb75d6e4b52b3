using NiusTv.Steps.Compose;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Warp;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Render;

/// <summary>Lip-sync measured on the rendered frames (issue 3, item 8): a paragraph spoken by Festival, its
/// phones, landmarks from the phones, the warp renderer; the dark-pixel area of the mouth region per frame must
/// follow the speech's loudness envelope at frame rate.</summary>
public sealed class RenderedLipSyncTests
{
    private const string Paragraph =
        "The city council approved a new budget on Tuesday evening. Mayor Ana Ruiz said the money would pay for " +
        "twelve schools, a bigger hospital and repairs to the old harbour bridge, which has been closed since March.";

    [Fact]
    public async Task Dark_mouth_area_of_rendered_frames_follows_the_loudness_of_real_speech()
    {
        var festival = new FestivalSynthesizer();
        Assert.True(festival.IsAvailable, "Festival is installed by scripts/setup");
        using var dir = new TempFolder();
        var ct = TestContext.Current.CancellationToken;
        var wavPath = dir.Combine("speech.wav");
        var speech = await festival.SynthesizeAsync([Paragraph], wavPath, ct);
        var phones = TemporaryPhoneTrack(speech.Timings);
        var wav = WaveFile.Read(wavPath);
        const int fps = 30;

        var presenter = RenderTestSupport.DefaultPresenter();
        var track = TemporaryLandmarks(presenter, phones, wav.Duration, fps);
        var (w, h) = RenderStep.SlotSize(1024, 512);
        var mouth = RenderTestSupport.MouthRegion(presenter, w, h);
        var dark = new List<double>();
        await new WarpRenderer().RenderAsync(new RenderRequest("lipsync", StoryPriority.Normal, presenter, track, w, h),
            f => { dark.Add(RenderTestSupport.DarkPixels(f.Span, w, mouth)); return ValueTask.CompletedTask; }, new ProgressLog(), ct);
        Assert.Equal(track.Frames.Length, dark.Count);

        var loudness = Loudness(wav, fps, dark.Count);
        var r0 = Pearson(dark, loudness, 0);
        var best = Enumerable.Range(-5, 11).MaxBy(lag => Pearson(dark, loudness, lag));
        var gaps = track.Frames.Select(f => (double)(f[66][1] - f[62][1])).ToList();
        TestContext.Current.SendDiagnosticMessage($"inner-lip gap vs loudness r = {Pearson(gaps, loudness, 0):0.000}; dark area vs gap r = {Pearson(dark, gaps, 0):0.000} (how faithfully the renderer shows the landmarks)");
        TestContext.Current.SendDiagnosticMessage($"rendered lip-sync: r = {r0:0.000} at lag 0, best lag {best} (r = {Pearson(dark, loudness, best):0.000}) over {dark.Count} frames");
        Assert.True(r0 >= 0.5, $"dark mouth area and loudness correlate with r = {r0:0.000} only");
        Assert.InRange(best, -1, 1);
        // The mouth really moves: closed (no dark interior) in pauses, a real hole on open vowels.
        Assert.True(dark.Max() > 150 && dark.Min() < dark.Max() / 5, $"dark area ranges {dark.Min()}..{dark.Max()} pixels");
    }

    /// <summary>RMS of the samples shown during each frame (frame i covers [i/fps, (i+1)/fps)).</summary>
    internal static double[] Loudness(WaveFile wav, int fps, int frames)
    {
        var result = new double[frames];
        for (var i = 0; i < frames; i++)
        {
            var from = (int)((long)i * wav.SampleRate / fps);
            var to = Math.Min(wav.Samples.Length, (int)((long)(i + 1) * wav.SampleRate / fps));
            double sum = 0;
            for (var s = from; s < to; s++) sum += (double)wav.Samples[s] * wav.Samples[s];
            result[i] = to > from ? Math.Sqrt(sum / (to - from)) : 0;
        }
        return result;
    }

    /// <summary>Pearson r of a[i] against b[i − lag] (positive lag: the mouth follows the sound).</summary>
    internal static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b, int lag)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        for (var i = 0; i < a.Count; i++)
            if (i - lag >= 0 && i - lag < b.Count) { xs.Add(a[i]); ys.Add(b[i - lag]); }
        var (mx, my) = (xs.Average(), ys.Average());
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < xs.Count; i++)
        {
            sxy += (xs[i] - mx) * (ys[i] - my);
            sxx += (xs[i] - mx) * (xs[i] - mx);
            syy += (ys[i] - my) * (ys[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    // ---- TEMPORARY, until the landmarks synthesis (branch mouth) and the phonemes step (branch align) are on
    // main: Festival's own phones as a PhoneTrack, and a minimal phone → mouth-opening mapping standing in for the
    // landmark animator. At the merge these two functions become PhoneTrack from the synthesizer aligner and
    // LandmarkAnimator.Animate(presenter, phones, duration, fps, storyId).

    /// <summary>TEMPORARY: Festival's lowercase radio phones → CMU phones (ax → AH, axr → ER, pau → SIL).</summary>
    private static PhoneTrack TemporaryPhoneTrack(SpeechTimings timings)
    {
        var phones = timings.Phones.Select(p => new AlignedPhone(p.Phone switch
        {
            "pau" => PhoneTrack.Silence,
            "ax" => "AH",
            "axr" => "ER",
            var other => other.ToUpperInvariant(),
        }, p.Start, p.End, -1)).ToList();
        return new PhoneTrack("festival", timings.Duration, [], phones);
    }

    /// <summary>TEMPORARY: how far the jaw drops for a phone, 0 (closed) to 1 (wide open).</summary>
    private static double Openness(string phone) => phone switch
    {
        "SIL" or "P" or "B" or "M" => 0,
        "F" or "V" => 0.15,
        "AA" or "AE" or "AO" or "AW" or "AY" => 1.0,
        "AH" or "EH" or "OW" or "OY" or "EY" => 0.75,
        "ER" or "IH" or "UH" => 0.5,
        "IY" or "UW" or "L" or "R" or "W" or "Y" or "HH" => 0.4,
        _ => 0.2,
    };

    /// <summary>TEMPORARY: per frame, the openness of the phones around the frame's time, averaged over ±50 ms
    /// (a crude coarticulation), applied to the reference face with the lips closed.</summary>
    private static LandmarkTrack TemporaryLandmarks(PresenterReference presenter, PhoneTrack phones, double duration, int fps)
    {
        var closed = RenderTestSupport.ClosedMouth(presenter.Face.Points);
        var width = presenter.Face.Points[54][0] - presenter.Face.Points[48][0];
        double OpenAt(double t) => phones.Phones.FirstOrDefault(p => p.Start <= t && t < p.End) is { } p ? Openness(p.Phone) : 0;
        var frames = new float[(int)Math.Round(duration * fps)][][];
        for (var i = 0; i < frames.Length; i++)
        {
            var t = (i + 0.5) / fps;
            var open = Enumerable.Range(-5, 11).Average(k => OpenAt(t + k * 0.01));
            frames[i] = RenderTestSupport.OpenMouth(closed, (float)(open * 0.3 * width));
        }
        return new LandmarkTrack(presenter.Name, fps, presenter.Width, presenter.Height, frames);
    }
}
