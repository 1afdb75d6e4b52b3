using System.Diagnostics;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Sketch;
using Xunit;

namespace NiusTv.Tests.Render;

public class SketchRendererTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Renders_one_opaque_frame_per_track_frame_and_the_mouth_moves()
    {
        const int w = 320, h = 180;
        var track = SyntheticFace.Track(12, run: 3);
        var frames = new List<byte[]>();
        var progress = new ProgressLog();
        await new SketchRenderer().RenderAsync(SyntheticFace.Request(track, w, h), f =>
        {
            frames.Add(f.ToArray());
            return ValueTask.CompletedTask;
        }, progress, TestContext.Current.CancellationToken);

        Assert.Equal(track.Frames.Length, frames.Count);
        Assert.All(frames, f => Assert.Equal(w * h * 4, f.Length));
        Assert.All(frames, f => Assert.True(Enumerable.Range(0, w * h).All(i => f[i * 4 + 3] == 255), "alpha must be opaque"));
        // Frames 0-2 closed, 3-5 open: same pose → same pixels, opening → different pixels, all in the mouth.
        Assert.Equal(frames[0], frames[1]);
        Assert.Equal(frames[3], frames[4]);
        Assert.NotEqual(frames[0], frames[3]);
        var innerMouth = SketchRenderer.Palette[FaceRegions.InnerMouth];
        bool IsInnerMouth(byte[] f, int i) => f[i * 4 + 2] == innerMouth.R && f[i * 4 + 1] == innerMouth.G && f[i * 4] == innerMouth.B;
        Assert.DoesNotContain(Enumerable.Range(0, w * h), i => IsInnerMouth(frames[0], i));
        Assert.Contains(Enumerable.Range(0, w * h), i => IsInnerMouth(frames[3], i));
        Assert.Equal(1.0, progress.Values[^1]);
    }

    [Fact]
    public async Task Cancellation_stops_the_stream()
    {
        using var cts = new CancellationTokenSource();
        var count = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SketchRenderer().RenderAsync(
            SyntheticFace.Request(SyntheticFace.Track(10), 64, 32), _ =>
            {
                if (++count == 2) cts.Cancel();
                return ValueTask.CompletedTask;
            }, new ProgressLog(), cts.Token));
        Assert.Equal(2, count);
    }

    /// <summary>Frames per second at the anchor slot of the two output sizes (printed; the assert only guards against
    /// a renderer too slow to keep up with 30 fps video at the small size).</summary>
    [Theory]
    [InlineData(1024, 512)]
    [InlineData(2048, 1024)]
    public async Task Frames_per_second(int w, int h)
    {
        var track = SyntheticFace.Track(60);
        var renderer = new SketchRenderer();
        await renderer.RenderAsync(SyntheticFace.Request(SyntheticFace.Track(3), w, h), _ => ValueTask.CompletedTask, new ProgressLog(), TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        await renderer.RenderAsync(SyntheticFace.Request(track, w, h), _ => ValueTask.CompletedTask, new ProgressLog(), TestContext.Current.CancellationToken);
        var fps = track.Frames.Length / clock.Elapsed.TotalSeconds;
        output.WriteLine($"sketch {w}x{h}: {fps:F1} frames/s");
        if (w == 1024) Assert.True(fps > 30, $"sketch at {w}x{h}: {fps:F1} frames/s");
    }
}
