using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Warp;
using NiusTv.Tests.EndToEnd;
using SkiaSharp;

namespace NiusTv.Tests.Render;

/// <summary>The default presenter's reference face and helpers to look at rendered frames.</summary>
internal static class RenderTestSupport
{
    public static string PhotoPath => Path.Combine(Nius.RepoRoot, "presenters", "default", "astronaut.png");

    /// <summary>The node's real presenter library over the repository's presenters/ (dlib through libfacelm),
    /// its cache in a folder shared by the test run: the face is detected once.</summary>
    public static PresenterLibrary Library { get; } = new(Path.Combine(Nius.RepoRoot, "presenters"),
        Path.Combine(Path.GetTempPath(), "niustv-render-test-presenters"), () => new DlibFaceLandmarkDetector());

    public static PresenterReference DefaultPresenter() => Library.Reference("default");

    public static float[][] Copy(float[][] points) => points.Select(p => p.ToArray()).ToArray();

    /// <summary>The reference face with the jaw dropped: the lower inner and outer lip and the chin move down by
    /// <paramref name="open"/> photo pixels (the lower lip fully, the chin a little less), as a speaking mouth does.</summary>
    public static float[][] OpenMouth(float[][] reference, float open)
    {
        var p = Copy(reference);
        foreach (var i in new[] { 65, 66, 67, 55, 56, 57, 58, 59 }) p[i][1] += open;
        foreach (var i in new[] { 5, 6, 7, 8, 9, 10, 11 }) p[i][1] += open * 0.8f;
        // The upper inner lip lifts a little as the lips part, so the gap is the opening plus the resting gap.
        return p;
    }

    /// <summary>The reference face with the lips pressed together (inner lips meet on the mid line).</summary>
    public static float[][] ClosedMouth(float[][] reference)
    {
        var p = Copy(reference);
        foreach (var (up, down) in new[] { (61, 67), (62, 66), (63, 65) })
        {
            var mid = (p[up][1] + p[down][1]) / 2;
            p[up][1] = mid;
            p[down][1] = mid;
        }
        return p;
    }

    public static LandmarkTrack Track(PresenterReference presenter, int fps, params float[][][] frames) =>
        new(presenter.Name, fps, presenter.Width, presenter.Height, frames);

    /// <summary>The photo scaled into the slot by the same framing transform, nothing warped.</summary>
    public static byte[] ScaledPhoto(PresenterReference presenter, int width, int height)
    {
        var framing = new SlotFraming(presenter, width, height);
        using var photo = SKImage.FromEncodedData(presenter.PhotoPath);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        using var paint = new SKPaint { Shader = photo.ToShader(SKShaderTileMode.Clamp, SKShaderTileMode.Clamp,
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None), framing.Matrix) };
        canvas.DrawPaint(paint);
        return bitmap.Bytes;
    }

    public static double MeanAbsDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, SKRectI? region = null, int width = 0)
    {
        if (region is null) {
            long sum = 0;
            for (var i = 0; i < a.Length; i++) if (i % 4 != 3) sum += Math.Abs(a[i] - b[i]);
            return sum / (a.Length * 0.75);
        }
        var r = region.Value;
        long s = 0; long n = 0;
        for (var y = r.Top; y < r.Bottom; y++)
            for (var x = r.Left; x < r.Right; x++)
                for (var c = 0; c < 3; c++) { var i = (y * width + x) * 4 + c; s += Math.Abs(a[i] - b[i]); n++; }
        return (double)s / n;
    }

    /// <summary>Pixels in <paramref name="region"/> darker than <paramref name="threshold"/> (Rec. 601 luma).</summary>
    public static int DarkPixels(ReadOnlySpan<byte> bgra, int width, SKRectI region, int threshold = 60)
    {
        var n = 0;
        for (var y = region.Top; y < region.Bottom; y++)
            for (var x = region.Left; x < region.Right; x++)
            {
                var i = (y * width + x) * 4;
                var luma = 0.114 * bgra[i] + 0.587 * bgra[i + 1] + 0.299 * bgra[i + 2];
                if (luma < threshold) n++;
            }
        return n;
    }

    /// <summary>The mouth region in slot pixels: the outer lips' box on the reference face, widened by half
    /// the mouth's width each way vertically so a dropped jaw stays inside.</summary>
    public static SKRectI MouthRegion(PresenterReference presenter, int width, int height)
    {
        var framing = new SlotFraming(presenter, width, height);
        var lips = FaceMesh.OuterLips.Select(i => framing.Map(presenter.Face.Points[i][0], presenter.Face.Points[i][1])).ToArray();
        var (l, r) = (lips.Min(p => p.X), lips.Max(p => p.X));
        var (t, b) = (lips.Min(p => p.Y), lips.Max(p => p.Y));
        var pad = (r - l) * 0.5f;
        return SKRectI.Intersect(new SKRectI((int)(l - 2), (int)(t - 2), (int)(r + 2), (int)(b + pad)), new SKRectI(0, 0, width, height));
    }

    public static void SavePng(ReadOnlySpan<byte> bgra, int width, int height, string path)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul));
        bgra.CopyTo(bitmap.GetPixelSpan());
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
