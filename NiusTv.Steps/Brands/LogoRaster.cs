using SkiaSharp;
using Svg.Skia;

namespace NiusTv.Steps.Brands;

/// <summary>A brand logo as pixels at the size it is drawn. Done once per story: an SVG is rendered at exactly that
/// height (sharp at any output size), a PNG is scaled down with mipmaps (a plain bilinear draw of a 400 px logo into
/// 50 px would alias), and every frame then blits it without scaling.</summary>
public static class LogoRaster
{
    /// <summary>The SVG's drawing, or a permanent failure naming <paramref name="label"/> when it does not parse or draws nothing.</summary>
    public static SKSvg OpenSvg(string file, string label)
    {
        var svg = new SKSvg();
        SKPicture? picture;
        try { picture = svg.Load(file); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            svg.Dispose();
            throw StepFailure.Permanent($"{label} is not an SVG image that can be drawn: {ex.Message}", ex);
        }
        if (picture is null || picture.CullRect.Width <= 0 || picture.CullRect.Height <= 0)
        {
            svg.Dispose();
            throw StepFailure.Permanent($"{label} is not an SVG image that can be drawn (it parses to nothing, or has no width and height)");
        }
        return svg;
    }

    /// <param name="height">Pixels; the width follows the logo's own aspect ratio.</param>
    public static SKImage Render(string file, int height, string label)
    {
        height = Math.Max(1, height);
        if (file.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
        {
            using var svg = OpenSvg(file, label);
            var cull = svg.Picture!.CullRect;
            var scale = height / cull.Height;
            return Draw(Math.Max(1, (int)Math.Round(cull.Width * scale)), height, canvas =>
            {
                canvas.Scale(scale);
                canvas.Translate(-cull.Left, -cull.Top);
                canvas.DrawPicture(svg.Picture);
            });
        }
        using var png = SKImage.FromEncodedData(file) ?? throw StepFailure.Permanent($"{label} does not decode as an image");
        var width = Math.Max(1, (int)Math.Round(png.Width * (double)height / png.Height));
        return Draw(width, height, canvas =>
            canvas.DrawImage(png, SKRect.Create(width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), null));
    }

    private static SKImage Draw(int width, int height, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.Transparent);
        draw(surface.Canvas);
        return surface.Snapshot();
    }
}
