using NiusTv.Steps.Init;
using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>A story image scaled once for the picture panel: the letterboxed picture at the largest zoom the
/// pan/zoom reaches (so per-frame drawing only ever shrinks it a little), and the blurred, darkened fill
/// behind it. Per-frame work is then two blits and a cheap bilinear draw.</summary>
internal sealed class PreparedImage : IDisposable
{
    public SKImage Picture { get; }
    public SKImage Fill { get; }

    /// <summary>The letterboxed rect at zoom 1, in frame coordinates.</summary>
    public SKRect Fitted { get; }

    private PreparedImage(SKImage picture, SKImage fill, SKRect fitted) => (Picture, Fill, Fitted) = (picture, fill, fitted);

    public static void CheckDecodable(string workspace, ImageManifestEntry entry)
    {
        var path = ResolvePath(workspace, entry);
        using var codec = SKCodec.Create(path)
            ?? throw StepFailure.Permanent($"image {entry.Index} ({entry.File}) cannot be decoded; replace it with a JPEG, PNG or WebP");
        if (codec.Info.Width <= 0 || codec.Info.Height <= 0)
            throw StepFailure.Permanent($"image {entry.Index} ({entry.File}) has no pixels");
    }

    public static PreparedImage Load(string workspace, ImageManifestEntry entry, StoryLayout layout)
    {
        var path = ResolvePath(workspace, entry);
        using var codec = SKCodec.Create(path)
            ?? throw StepFailure.Permanent($"image {entry.Index} ({entry.File}) cannot be decoded; replace it with a JPEG, PNG or WebP");
        var origin = codec.EncodedOrigin;
        var swapped = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var (w, h) = swapped ? (codec.Info.Height, codec.Info.Width) : (codec.Info.Width, codec.Info.Height);

        var area = SKRect.Create(layout.ImageArea.Left, layout.ImageArea.Top, layout.ImageArea.Width, layout.ImageArea.Height);
        var fitted = StoryLayout.FitInside(w, h, area);
        var pictureW = Math.Max(1, (int)MathF.Ceiling(fitted.Width * StoryLayout.MaxZoom));
        var pictureH = Math.Max(1, (int)MathF.Ceiling(fitted.Height * StoryLayout.MaxZoom));

        using var decoded = Decode(codec, (float)pictureW / w, entry);
        using var oriented = Orient(decoded, origin);

        var picture = Resample(oriented, pictureW, pictureH, IsOpaque(oriented) ? SKAlphaType.Opaque : SKAlphaType.Premul);
        var fill = MakeFill(oriented, layout, area);
        return new PreparedImage(picture, fill, fitted);
    }

    private static string ResolvePath(string workspace, ImageManifestEntry entry)
    {
        var path = Path.GetFullPath(Path.Combine(workspace, entry.File));
        if (!File.Exists(path))
            throw StepFailure.Permanent($"image {entry.Index} ({entry.File}) listed in {Artifacts.ImageManifest} is missing from the workspace; run init again");
        return path;
    }

    /// <summary>Decodes at a reduced size when the codec can (JPEG 1/8 steps, WebP), so a 24-megapixel photo
    /// for a 700-pixel panel does not cost a full decode.</summary>
    private static SKBitmap Decode(SKCodec codec, float scale, ImageManifestEntry entry)
    {
        var size = scale < 1 ? codec.GetScaledDimensions(scale) : codec.Info.Size;
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Bgra8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            // Some codecs refuse a scaled decode; a full-size one is slower but still right.
            bitmap.Dispose();
            info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Bgra8888, SKAlphaType.Premul);
            bitmap = new SKBitmap(info);
            result = codec.GetPixels(info, bitmap.GetPixels());
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            {
                bitmap.Dispose();
                throw StepFailure.Permanent($"image {entry.Index} ({entry.File}) cannot be decoded ({result}); replace it");
            }
        }
        return bitmap;
    }

    /// <summary>Applies the EXIF orientation so phone photos are upright.</summary>
    private static SKBitmap Orient(SKBitmap src, SKEncodedOrigin origin)
    {
        float w = src.Width, h = src.Height;
        SKMatrix m;
        switch (origin)
        {
            case SKEncodedOrigin.TopRight: m = new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1); break;
            case SKEncodedOrigin.BottomRight: m = new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1); break;
            case SKEncodedOrigin.BottomLeft: m = new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1); break;
            case SKEncodedOrigin.LeftTop: m = new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1); break;
            case SKEncodedOrigin.RightTop: m = new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1); break;
            case SKEncodedOrigin.RightBottom: m = new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1); break;
            case SKEncodedOrigin.LeftBottom: m = new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1); break;
            default: return src.Copy();
        }
        var swapped = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var result = new SKBitmap(new SKImageInfo(swapped ? src.Height : src.Width, swapped ? src.Width : src.Height, SKColorType.Bgra8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(result);
        canvas.SetMatrix(m);
        using var image = SKImage.FromBitmap(src);
        canvas.DrawImage(image, 0, 0, SKSamplingOptions.Default, null);
        return result;
    }

    private static SKSamplingOptions SamplingFor(float scale) =>
        scale < 1 ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear) : new SKSamplingOptions(SKCubicResampler.Mitchell);

    /// <summary>Whether every pixel is opaque, as photos are: an opaque picture is drawn onto each frame without
    /// blending, at about half the cost. A PNG with transparent parts keeps its alpha and is blended over the fill.</summary>
    private static bool IsOpaque(SKBitmap src)
    {
        if (src.AlphaType == SKAlphaType.Opaque) return true;
        var pixels = src.GetPixelSpan();
        for (var row = 0; row < src.Height; row++)
        {
            var line = pixels.Slice(row * src.RowBytes, src.Width * 4);
            for (var i = 3; i < line.Length; i += 4)
                if (line[i] != 255) return false;
        }
        return true;
    }

    private static SKImage Resample(SKBitmap src, int width, int height, SKAlphaType alpha)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Bgra8888, alpha));
        using var image = SKImage.FromBitmap(src);
        surface.Canvas.Clear(SKColors.Transparent);
        surface.Canvas.DrawImage(image, SKRect.Create(width, height), SamplingFor((float)width / src.Width), null);
        return surface.Snapshot();
    }

    /// <summary>The image covering the whole panel, blurred and darkened: the fill behind letterbox bars.
    /// Blurred at a quarter size and scaled up, which looks the same and costs a sixteenth.</summary>
    private static SKImage MakeFill(SKBitmap src, StoryLayout layout, SKRect area)
    {
        var aw = Math.Max(1, (int)area.Width);
        var ah = Math.Max(1, (int)area.Height);
        var sw = Math.Max(1, aw / 4);
        var sh = Math.Max(1, ah / 4);
        using var small = SKSurface.Create(new SKImageInfo(sw, sh, SKColorType.Bgra8888, SKAlphaType.Premul));
        using var image = SKImage.FromBitmap(src);
        var cover = StoryLayout.Cover(src.Width, src.Height, SKRect.Create(sw, sh));
        using (var blur = new SKPaint())
        {
            blur.ImageFilter = SKImageFilter.CreateBlur(Math.Max(1f, sw * 0.03f), Math.Max(1f, sw * 0.03f), SKShaderTileMode.Clamp);
            small.Canvas.Clear(new SKColor(0x0D, 0x1B, 0x2C));
            small.Canvas.DrawImage(image, cover, SamplingFor(cover.Width / src.Width), blur);
        }
        using var smallImage = small.Snapshot();
        // Opaque (the small fill starts from an opaque colour), so it is copied onto each frame, not blended.
        using var full = SKSurface.Create(new SKImageInfo(aw, ah, SKColorType.Bgra8888, SKAlphaType.Opaque));
        full.Canvas.DrawImage(smallImage, SKRect.Create(aw, ah), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None), null);
        using (var dim = new SKPaint { Color = new SKColor(0, 0, 0, 150) })
            full.Canvas.DrawRect(SKRect.Create(aw, ah), dim);
        return full.Snapshot();
    }

    public void Dispose()
    {
        Picture.Dispose();
        Fill.Dispose();
    }
}
