using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Warp;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Render;

public sealed class WarpRendererTests
{
    // The anchor slot of a 1024x512 story: the size the warp renderer works at by default.
    private static readonly (int W, int H) Slot = (new StoryLayout(1024, 512).AnchorSlot.Width, new StoryLayout(1024, 512).AnchorSlot.Height);

    private static RenderRequest Request(params float[][][] frames)
    {
        var presenter = RenderTestSupport.DefaultPresenter();
        return new RenderRequest("test", StoryPriority.Normal, presenter, RenderTestSupport.Track(presenter, 30, frames), Slot.W, Slot.H);
    }

    private static byte[] RenderOne(float[][] points, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var request = Request(points);
        using var session = new WarpRenderer().Open(request);
        session.Draw(points);
        var pixels = session.Pixels.ToArray();
        // To look at the frames: NIUSTV_RENDER_DUMP=/some/folder.
        if (Environment.GetEnvironmentVariable("NIUSTV_RENDER_DUMP") is { Length: > 0 } dump)
            RenderTestSupport.SavePng(pixels, Slot.W, Slot.H, Path.Combine(dump, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)] + ".png"));
        return pixels;
    }

    [Fact]
    public void Mesh_keeps_the_lip_contours_as_edges_and_the_mouth_interior_apart()
    {
        var mesh = FaceMesh.Build(RenderTestSupport.DefaultPresenter().Face);
        var edges = new HashSet<(int, int)>();
        var all = mesh.Triangles.Concat(mesh.MouthTriangles).ToArray();
        for (var t = 0; t < all.Length; t += 3)
            foreach (var (a, b) in new[] { (all[t], all[t + 1]), (all[t + 1], all[t + 2]), (all[t + 2], all[t]) })
                edges.Add((Math.Min(a, b), Math.Max(a, b)));
        foreach (var contour in new[] { FaceMesh.InnerLips, FaceMesh.OuterLips })
            for (var i = 0; i < contour.Length; i++)
            {
                var (a, b) = (contour[i], contour[(i + 1) % contour.Length]);
                Assert.Contains((Math.Min(a, b), Math.Max(a, b)), edges);
            }
        // An 8-point contour is cut into 6 triangles.
        Assert.Equal(6 * 3, mesh.MouthTriangles.Length);
        Assert.All(mesh.MouthTriangles, v => Assert.InRange(v, 60, 67));
        // Every face point is a vertex of some warped triangle, and triangles do not overlap: their areas add up to
        // the hull of the ring (ring points lie on a convex ellipse around the face).
        Assert.Equal(FaceMesh.FacePoints + FaceMesh.RingPoints, mesh.Triangles.Concat(mesh.MouthTriangles).Distinct().Count());
        double Area(int[] tris)
        {
            double s = 0;
            for (var t = 0; t < tris.Length; t += 3)
            {
                var (a, b, c) = (mesh.Reference[tris[t]], mesh.Reference[tris[t + 1]], mesh.Reference[tris[t + 2]]);
                s += Math.Abs((b.X - a.X) * (c.Y - a.Y) - (b.Y - a.Y) * (c.X - a.X)) / 2;
            }
            return s;
        }
        var ring = mesh.Reference.Skip(FaceMesh.FacePoints).ToArray();
        double hull = 0;
        for (var i = 0; i < ring.Length; i++)
        {
            var (a, b) = (ring[i], ring[(i + 1) % ring.Length]);
            hull += (a.X * b.Y - b.X * a.Y) / 2.0;
        }
        Assert.Equal(Math.Abs(hull), Area(mesh.Triangles) + Area(mesh.MouthTriangles), 1e-3 * Math.Abs(hull));
    }

    [Fact]
    public void Reference_landmarks_reproduce_the_photo()
    {
        var presenter = RenderTestSupport.DefaultPresenter();
        var frame = RenderOne(presenter.Face.Points);
        var photo = RenderTestSupport.ScaledPhoto(presenter, Slot.W, Slot.H);
        var whole = RenderTestSupport.MeanAbsDifference(frame, photo);
        Assert.True(whole < 1.5, $"mean abs difference to the scaled photo is {whole:0.00} levels");
        // Away from the mouth (where the interior is painted) the warp is the identity: almost no difference.
        var mouth = RenderTestSupport.MouthRegion(presenter, Slot.W, Slot.H);
        var above = new SkiaSharp.SKRectI(0, 0, Slot.W, mouth.Top);
        var outside = RenderTestSupport.MeanAbsDifference(frame, photo, above, Slot.W);
        Assert.True(outside < 1.0, $"mean abs difference above the mouth is {outside:0.00} levels");
        Assert.All(Enumerable.Range(0, frame.Length / 4), i => Assert.Equal(255, frame[i * 4 + 3]));
    }

    [Fact]
    public void Opening_the_mouth_darkens_the_mouth_region_and_closing_it_shows_no_interior()
    {
        var presenter = RenderTestSupport.DefaultPresenter();
        var mouth = RenderTestSupport.MouthRegion(presenter, Slot.W, Slot.H);
        var closed = RenderTestSupport.DarkPixels(RenderOne(RenderTestSupport.ClosedMouth(presenter.Face.Points)), Slot.W, mouth);
        var rest = RenderTestSupport.DarkPixels(RenderOne(presenter.Face.Points), Slot.W, mouth);
        var half = RenderTestSupport.DarkPixels(RenderOne(RenderTestSupport.OpenMouth(presenter.Face.Points, 5)), Slot.W, mouth);
        var wide = RenderTestSupport.DarkPixels(RenderOne(RenderTestSupport.OpenMouth(presenter.Face.Points, 12)), Slot.W, mouth);
        Assert.True(closed < rest && rest < half && half < wide, $"dark pixels closed {closed}, rest {rest}, half open {half}, wide {wide}");
        // Wide open, the interior is a real hole: a few hundred dark pixels at this slot size.
        Assert.True(wide - closed > 300, $"opening the mouth by 12 px added only {wide - closed} dark pixels");
    }

    [Fact]
    public void The_open_mouth_shows_teeth_under_the_upper_lip()
    {
        var presenter = RenderTestSupport.DefaultPresenter();
        var points = RenderTestSupport.OpenMouth(presenter.Face.Points, 12);
        var frame = RenderOne(points);
        var framing = new SlotFraming(presenter, Slot.W, Slot.H);
        var upper = framing.Map(points[62][0], points[62][1]);
        var lower = framing.Map(points[66][0], points[66][1]);
        // Just under the upper lip: light; the middle of the opening: dark.
        Luma(frame, (int)upper.X, (int)(upper.Y + (lower.Y - upper.Y) * 0.12f), out var teeth);
        Luma(frame, (int)upper.X, (int)((upper.Y + lower.Y) / 2 + 2), out var throat);
        Assert.True(teeth > 150, $"teeth luma {teeth:0}");
        Assert.True(throat < 50, $"interior luma {throat:0}");
    }

    private static void Luma(byte[] bgra, int x, int y, out double luma)
    {
        var i = (y * Slot.W + x) * 4;
        luma = 0.114 * bgra[i] + 0.587 * bgra[i + 1] + 0.299 * bgra[i + 2];
    }

    [Fact]
    public async Task Frames_are_streamed_one_per_track_frame_in_order()
    {
        var presenter = RenderTestSupport.DefaultPresenter();
        var frames = Enumerable.Range(0, 24).Select(i => RenderTestSupport.OpenMouth(presenter.Face.Points, i % 12)).ToArray();
        var request = Request(frames);
        var progress = new ProgressLog();
        var dark = new List<int>();
        var mouth = RenderTestSupport.MouthRegion(presenter, Slot.W, Slot.H);
        await new WarpRenderer().RenderAsync(request, f =>
        {
            Assert.Equal(Slot.W * Slot.H * 4, f.Length);
            dark.Add(RenderTestSupport.DarkPixels(f.Span, Slot.W, mouth));
            return ValueTask.CompletedTask;
        }, progress, TestContext.Current.CancellationToken);
        Assert.Equal(frames.Length, dark.Count);
        // The frames come in track order: the dark area rises with the opening through each 12-frame cycle.
        Assert.True(dark[11] > dark[1] && dark[23] > dark[13] && dark[12] < dark[11]);
        Assert.Equal(1.0, progress.Values[^1]);
    }

    [Fact]
    public async Task Landmarks_for_another_photo_size_are_a_permanent_failure()
    {
        var presenter = RenderTestSupport.DefaultPresenter();
        var request = new RenderRequest("test", StoryPriority.Normal, presenter,
            new Steps.Landmarks.LandmarkTrack("default", 30, 640, 480, [presenter.Face.Points]), Slot.W, Slot.H);
        var failure = await Assert.ThrowsAsync<StepFailure>(() => new WarpRenderer().RenderAsync(request, _ => ValueTask.CompletedTask,
            new ProgressLog(), TestContext.Current.CancellationToken));
        Assert.False(failure.Transient);
        Assert.Contains("640x480", failure.Message);
    }
}
