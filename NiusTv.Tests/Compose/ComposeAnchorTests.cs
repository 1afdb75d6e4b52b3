using System.Diagnostics;
using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Warp;
using NiusTv.Tests.Render;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Compose;

[Trait("Speed", "Slow")]
public sealed class ComposeAnchorTests
{
    private static readonly ComposeOptions Options = new();

    /// <summary>The frame of the video at <paramref name="seconds"/>, as BGRA.</summary>
    private static byte[] FrameAt(string video, double seconds, string png)
    {
        FrameGrab.ExtractFrame(video, seconds, png);
        using var bitmap = SKBitmap.Decode(png).Copy(SKColorType.Bgra8888);
        return bitmap.Bytes;
    }

    private static double SlotDifference(byte[] frame, int frameWidth, SKRectI slot, ReadOnlySpan<byte> anchor)
    {
        long sum = 0;
        for (var y = 0; y < slot.Height; y++)
            for (var x = 0; x < slot.Width; x++)
                for (var c = 0; c < 3; c++)
                    sum += Math.Abs(frame[((slot.Top + y) * frameWidth + slot.Left + x) * 4 + c] - anchor[(y * slot.Width + x) * 4 + c]);
        return sum / (slot.Width * slot.Height * 3.0);
    }

    [Fact]
    public async Task An_anchor_segment_that_cannot_be_read_is_a_permanent_failure_naming_it_and_leaves_no_video()
    {
        // Opened beside the title card's frames; its failure must still be the step's.
        using var ws = new SyntheticWorkspace(320, 180, 24, wavSeconds: 3.0);
        await File.WriteAllBytesAsync(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Anchor.Name), Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray(),
            TestContext.Current.CancellationToken);
        var input = ws.Input() with
        {
            Artifacts = new Dictionary<string, string>(ws.Input().Artifacts) { [NiusTv.Steps.Artifacts.Anchor.Name] = NiusTv.Steps.Artifacts.Anchor.Name },
        };
        var failure = await Assert.ThrowsAsync<StepFailure>(() => new ComposeStep(Options).RunAsync(input, new ProgressLog(), TestContext.Current.CancellationToken));
        Assert.False(failure.Transient);
        Assert.Contains(NiusTv.Steps.Artifacts.Anchor.Name, failure.Message);
        Assert.Contains("run the render step again", failure.Message);
        Assert.False(File.Exists(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Video.Name)));
        Assert.Empty(Directory.GetFiles(ws.Dir, "*.part.*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task The_anchor_segment_fills_the_slot_frame_for_frame()
    {
        const int width = 1024, height = 512, fps = 30;
        using var ws = new SyntheticWorkspace(width, height, fps, wavSeconds: 3.0);
        var ct = TestContext.Current.CancellationToken;
        var layout = new StoryLayout(width, height);
        var slot = layout.AnchorSlot;

        // Without an anchor: today's video.
        await new ComposeStep(Options).RunAsync(ws.Input(), new ProgressLog(), ct);
        var plainVideo = Path.Combine(ws.Dir, "plain.mp4");
        File.Move(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Video.Name), plainVideo);

        // The render step's segment for the same story (3 s of speech at 30 fps), then compose with it.
        var story = ws.Story with { Presenter = "default" };
        var track = RenderStepTests.Talking(90, fps);
        var renderInput = RenderStepTests.Input(story, ws.Dir, track);
        var rendered = await new RenderStep(new WarpRenderer(), RenderTestSupport.Library, admission: null).RunAsync(renderInput, new ProgressLog(), ct);
        var input = ws.Input() with
        {
            Story = story,
            Artifacts = new Dictionary<string, string>(ws.Input().Artifacts) { [NiusTv.Steps.Artifacts.Anchor.Name] = rendered.Artifacts[NiusTv.Steps.Artifacts.Anchor.Name] },
        };
        var clock = Stopwatch.StartNew();
        await new ComposeStep(Options).RunAsync(input, new ProgressLog(), ct);
        TestContext.Current.SendDiagnosticMessage($"compose with anchor: {clock.Elapsed.TotalSeconds:0.00} s");
        var video = Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Video.Name);

        using var session = new WarpRenderer().Open(new Steps.Render.RenderRequest(story.Id, story.Priority,
            RenderTestSupport.DefaultPresenter(), track, slot.Width, slot.Height));
        // Speech starts after the title card: at video time title + k/fps the slot shows anchor frame k. The
        // frame grabbed half a frame in, so rounding cannot pick a neighbour.
        foreach (var k in new[] { 15, 30, 75 })
        {
            var t = Options.TitleCardSeconds + (k + 0.5) / fps;
            var withAnchor = FrameAt(video, t, Path.Combine(ws.Dir, $"a{k}.png"));
            var without = FrameAt(plainVideo, t, Path.Combine(ws.Dir, $"p{k}.png"));
            session.Draw(track.Frames[k]);
            var toAnchor = SlotDifference(withAnchor, width, slot, session.Pixels.Span);
            var toPlain = SlotDifference(without, width, slot, session.Pixels.Span);
            TestContext.Current.SendDiagnosticMessage($"frame {k}: slot to anchor {toAnchor:0.00}, empty slot to anchor {toPlain:0.00}");
            if (Environment.GetEnvironmentVariable("NIUSTV_RENDER_DUMP") is { Length: > 0 } dump) File.Copy(Path.Combine(ws.Dir, $"a{k}.png"), Path.Combine(dump, $"compose-{k}.png"), true);
            Assert.True(toAnchor < 6, $"frame {k}: the slot differs from the anchor frame by {toAnchor:0.0} levels");
            Assert.True(toPlain > 25, $"frame {k}: the empty slot is only {toPlain:0.0} levels from the anchor");
            // The neighbours in the track differ in the mouth: the right frame is the closest.
            session.Draw(track.Frames[k + 8]);
            Assert.True(SlotDifference(withAnchor, width, slot, session.Pixels.Span) > toAnchor);
        }
        // Outside the slot the picture is what it was without the anchor.
        var outside = FrameAt(video, 3.0, Path.Combine(ws.Dir, "o.png"));
        var plainOutside = FrameAt(plainVideo, 3.0, Path.Combine(ws.Dir, "po.png"));
        var image = layout.ImageArea;
        long diff = 0;
        for (var y = image.Top; y < image.Bottom; y++)
            for (var x = image.Left; x < image.Right; x++)
                diff += Math.Abs(outside[(y * width + x) * 4 + 1] - plainOutside[(y * width + x) * 4 + 1]);
        Assert.True(diff / (double)(image.Width * image.Height) < 2);

        // The poster shows the presenter too.
        using var poster = SKBitmap.Decode(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Poster.Name));
        Assert.True(poster.GetPixel(slot.MidX, slot.Top + slot.Height * 2 / 5) != SKColors.Black);
    }

    [Fact]
    public async Task Before_the_speech_and_after_the_last_anchor_frame_the_slot_holds_the_first_and_last_frames()
    {
        const int width = 640, height = 360, fps = 25;
        using var ws = new SyntheticWorkspace(width, height, fps, wavSeconds: 2.0);
        var ct = TestContext.Current.CancellationToken;
        var slot = new StoryLayout(width, height).AnchorSlot;
        var story = ws.Story with { Presenter = "default" };
        // Only one second of anchor for two seconds of speech: the last frame is held for the second second.
        var track = RenderStepTests.Talking(25, fps);
        await new RenderStep(new WarpRenderer(), RenderTestSupport.Library, admission: null)
            .RunAsync(RenderStepTests.Input(story, ws.Dir, track), new ProgressLog(), ct);
        var input = ws.Input() with
        {
            Story = story,
            Artifacts = new Dictionary<string, string>(ws.Input().Artifacts) { [NiusTv.Steps.Artifacts.Anchor.Name] = NiusTv.Steps.Artifacts.Anchor.Name },
        };
        await new ComposeStep(Options).RunAsync(input, new ProgressLog(), ct);
        var video = Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Video.Name);

        using var session = new WarpRenderer().Open(new Steps.Render.RenderRequest(story.Id, story.Priority,
            RenderTestSupport.DefaultPresenter(), track, slot.Width, slot.Height));
        // In the fade out of the title card the slot already shows the first frame (under the fading card).
        session.Draw(track.Frames[0]);
        var fading = FrameAt(video, Options.TitleCardSeconds - 0.02, Path.Combine(ws.Dir, "f.png"));
        var first = SlotDifference(fading, width, slot, session.Pixels.Span);
        session.Draw(track.Frames[^1]);
        var late = FrameAt(video, Options.TitleCardSeconds + 1.8, Path.Combine(ws.Dir, "l.png"));
        var last = SlotDifference(late, width, slot, session.Pixels.Span);
        Assert.True(first < 12, $"fade: {first:0.0}");
        Assert.True(last < 6, $"after the anchor's end: {last:0.0}");
    }

    [Fact]
    public async Task A_listed_but_missing_anchor_segment_is_a_permanent_failure()
    {
        using var ws = new SyntheticWorkspace(320, 180, 24);
        var input = ws.Input() with
        {
            Artifacts = new Dictionary<string, string>(ws.Input().Artifacts) { [NiusTv.Steps.Artifacts.Anchor.Name] = NiusTv.Steps.Artifacts.Anchor.Name },
        };
        var failure = await Assert.ThrowsAsync<StepFailure>(() => new ComposeStep(Options).RunAsync(input, new ProgressLog(), TestContext.Current.CancellationToken));
        Assert.False(failure.Transient);
        Assert.Contains("anchor.mkv", failure.Message);
    }
}
