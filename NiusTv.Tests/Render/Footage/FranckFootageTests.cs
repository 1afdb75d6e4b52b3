using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render;
using NiusTv.Steps.Speech;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Render.Footage;

/// <summary>The footage renderer on the real FGNet talking-face clip (scripts/setup caches it), on a story the
/// mouth search was not tuned on: everything is measured on anchor.mkv, with dlib run again on the rendered
/// frames. One story is rendered once for the whole class (about 20 s the first time the clip's first minute is
/// indexed, then a few seconds).</summary>
[Trait("Speed", "Slow")]
public sealed class FranckFootageTests(FranckFootageTests.Rendered rendered) : IClassFixture<FranckFootageTests.Rendered>
{
    public sealed class Rendered : IAsyncLifetime
    {
        public TempFolder Dir { get; } = new();
        public PresenterReference Presenter { get; private set; } = null!;
        public LandmarkTrack Track { get; private set; } = null!;
        public WaveFile Wav { get; private set; } = null!;
        public RenderedFootage Footage { get; private set; } = null!;
        public Steps.Render.Footage.ClipIndex Redetected { get; private set; } = null!;
        public List<byte[]> AnchorFrames { get; private set; } = null!;
        public string Anchor => Dir.Combine(NiusTv.Steps.Artifacts.Anchor.Name);

        public async ValueTask InitializeAsync()
        {
            var ct = TestContext.Current.CancellationToken;
            var clip = FootageTestSupport.RequireFranck();
            var root = Dir.Folder("presenters");
            // The first minute is enough for every mouth shape and keeps the first (uncached) index short.
            FootageTestSupport.Presenter(root, "franck", clip, new() { ["use"] = new { from = 0, to = 60 } });
            Presenter = FootageTestSupport.Library(root).Reference("franck");
            var (wav, phones) = await FootageTestSupport.Speak(FootageTestSupport.UntunedStory, Dir.Path, ct);
            Wav = wav;
            Track = LandmarkAnimator.Animate(Presenter, phones, wav.Duration, 30, "bicycle-lane",
                LipSync.LoudnessEnvelope(wav, 30));
            Footage = await FootageTestSupport.RenderAnchor(Presenter, Track, Anchor, ct);
            Redetected = FootageTestSupport.Redetect(Anchor);
            AnchorFrames = RenderStepTests.DecodeFrames(Anchor, Footage.Width, Footage.Height);
            var results = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
            FootageTestSupport.ContactSheet(Path.Combine(results, "footage-contact.png"), Presenter, Footage, AnchorFrames);
            // The rendered segment with its speech, to watch: TestResults/screenshots/footage-franck.mp4.
            await new Steps.Tools.ExternalTool("ffmpeg").RunAsync(["-v", "error", "-y", "-i", Anchor, "-i", Dir.Combine("speech.wav"),
                "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", Path.Combine(results, "footage-franck.mp4")],
                TimeSpan.FromMinutes(1), ct);
        }

        public ValueTask DisposeAsync()
        {
            Dir.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static void Say(string line) => TestContext.Current.SendDiagnosticMessage(line);

    [Fact]
    public void A_face_is_found_in_at_least_99_percent_of_the_rendered_frames()
    {
        var found = rendered.Redetected.FacesFound;
        var total = rendered.Redetected.Count;
        Say($"franck: face re-detected in {found} of {total} rendered frames ({100.0 * found / total:0.0}%)");
        Assert.Equal(rendered.Track.Frames.Length, total);
        Assert.True(found >= 0.99 * total, $"a face was found in {found} of {total} frames only");
    }

    [Fact]
    public void The_redetected_mouth_opening_follows_the_intended_opening()
    {
        var intended = FootageTestSupport.Opening(rendered.Track);
        var seen = FootageTestSupport.Opening(rendered.Redetected);
        var r = FootageTestSupport.PearsonWhereBoth(seen, intended);
        Say($"franck: re-detected inner-lip opening vs intended r = {r:0.000}");
        var analysis = rendered.Presenter.Clip!.Analysis;
        var chosen = rendered.Footage.Mouths.Select(m => analysis.Opening[m]).ToArray();
        Say($"franck: chosen mouth frames' own opening vs intended r = {LipSync.Pearson(chosen, intended):0.000}; means intended {intended.Average():0.000} chosen {chosen.Average():0.000} seen {seen.Where(v => !double.IsNaN(v)).Average():0.000}; max intended {intended.Max():0.000} chosen {chosen.Max():0.000}; seen vs chosen r = {FootageTestSupport.PearsonWhereBoth(seen, chosen):0.000}");
        Assert.True(r >= 0.8, $"re-detected opening follows the intended one with r = {r:0.000} only");
    }

    [Fact]
    public void The_redetected_mouth_opening_follows_the_loudness_of_the_speech_in_time()
    {
        var seen = FootageTestSupport.Opening(rendered.Redetected).Select(v => double.IsNaN(v) ? 0 : v).ToArray();
        var loudness = LipSync.LoudnessEnvelope(rendered.Wav, 30, seen.Length);
        var score = LipSync.BestLag(seen, loudness);
        Say($"franck: re-detected opening vs loudness r = {score.R:0.000} at lag 0, best lag {score.BestLag} (r = {score.BestR:0.000}); intended opening vs loudness r = {LipSync.Pearson(FootageTestSupport.Opening(rendered.Track), loudness):0.000}");
        Assert.True(score.BestR >= 0.6, $"opening and loudness correlate with r = {score.BestR:0.000} only");
        Assert.InRange(score.BestLag, -1, 1);
    }

    [Fact]
    public void The_head_moves_as_it_does_in_the_clip()
    {
        var noses = rendered.Redetected.Faces.Where(f => f is not null).Select(f => (X: (double)f![60], Y: (double)f[61])).ToArray();
        double Std(IEnumerable<double> v) { var a = v.ToArray(); var m = a.Average(); return Math.Sqrt(a.Sum(x => (x - m) * (x - m)) / a.Length); }
        double sx = Std(noses.Select(n => n.X)), sy = Std(noses.Select(n => n.Y));
        // The base stretch's own nose motion, scaled into the slot.
        var analysis = rendered.Presenter.Clip!.Analysis;
        var scale = new SlotFraming(rendered.Presenter, rendered.Footage.Width, rendered.Footage.Height).Scale;
        var baseNoses = Enumerable.Range(analysis.BaseStart, analysis.BaseLength).Select(i => analysis.Index.Faces[i]!).ToArray();
        double bx = Std(baseNoses.Select(f => (double)f[60])) * scale, by = Std(baseNoses.Select(f => (double)f[61])) * scale;
        Say($"franck: rendered nose tip std {sx:0.00} x {sy:0.00} px; the clip's base stretch {bx:0.00} x {by:0.00} px (slot pixels)");
        Assert.True(Math.Max(sx, sy) > 1.0, "the head does not move");
        Assert.InRange(Math.Max(sx, sy), 0.5 * Math.Max(bx, by), 2.0 * Math.Max(bx, by) + 1);
    }

    [Fact]
    public void No_frame_to_frame_change_outside_the_mouth_exceeds_the_clips_own_99th_percentile()
    {
        var (w, h) = (rendered.Footage.Width, rendered.Footage.Height);
        var framing = new SlotFraming(rendered.Presenter, w, h);
        // The lower face of every intended frame, in the slot, widened: everything else must change like the clip.
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var f in rendered.Track.Frames)
            foreach (var p in new[] { 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 31, 35 }.Select(i => framing.Map(f[i][0], f[i][1])))
            { minX = Math.Min(minX, p.X); maxX = Math.Max(maxX, p.X); minY = Math.Min(minY, p.Y); maxY = Math.Max(maxY, p.Y); }
        var pad = 0.3f * (maxY - minY);
        var mouth = new SKRectI((int)(minX - pad), (int)(minY - pad), (int)(maxX + pad), (int)(maxY + pad));
        var rendered99 = FootageTestSupport.FrameChanges(rendered.AnchorFrames, w, h, 4, mouth);
        var clipFrames = FootageTestSupport.FramedClip(rendered.Presenter, 600, w, h);
        var clip99 = FootageTestSupport.Percentile(FootageTestSupport.FrameChanges(clipFrames, w, h, 4, mouth), 0.99);
        var worst = rendered99.Max();
        Say($"franck: largest frame-to-frame change outside the mouth {worst:0.00} (mean abs, 0-255); the clip's own 99th percentile {clip99:0.00}");
        Assert.True(worst <= clip99, $"a frame changes by {worst:0.00} outside the mouth, more than the clip's 99th percentile {clip99:0.00}");
    }

    [Fact]
    public void The_blend_edge_shows_no_step()
    {
        var f = rendered.Footage;
        Say($"franck: mean luma gradient on the mask edge {f.EdgeGradient:0.00} rendered, {f.EdgeGradientBase:0.00} on the untouched base frames");
        Assert.True(f.EdgeGradient <= 1.25 * f.EdgeGradientBase + 0.5,
            $"the mask edge has a gradient of {f.EdgeGradient:0.00} against {f.EdgeGradientBase:0.00} untouched: a seam shows");
    }

    [Fact]
    public void The_mouth_is_neither_frozen_nor_jittering()
    {
        var mouths = rendered.Footage.Mouths;
        int cuts = 0, longestHold = 1, hold = 1;
        for (int k = 1; k < mouths.Length; k++)
        {
            int d = mouths[k] - mouths[k - 1];
            if (d is < 0 or > 2) cuts++;
            hold = d == 0 ? hold + 1 : 1;
            longestHold = Math.Max(longestHold, hold);
        }
        Say($"franck: {mouths.Length} frames, {mouths.Distinct().Count()} distinct mouth frames, {cuts} cuts ({100.0 * cuts / mouths.Length:0}% of frames), longest hold {longestHold} frames; rendered in {rendered.Footage.Seconds:0.0} s");
        Assert.True(cuts < mouths.Length / 2, $"the mouth cuts to another part of the clip in {cuts} of {mouths.Length} frames");
        Assert.True(mouths.Distinct().Count() > mouths.Length / 10, "the mouth shows too few different frames");
    }
}
