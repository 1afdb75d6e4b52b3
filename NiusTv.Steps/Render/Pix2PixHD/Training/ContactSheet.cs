using SkiaSharp;

namespace NiusTv.Steps.Render.Pix2PixHD.Training;

/// <summary>eval.png: one row per held-out frame, label map | generated | real, for a person to judge what the
/// numbers in eval.json mean.</summary>
public static class ContactSheet
{
    // One distinct colour per face region id (background dark, skin tan, features saturated).
    private static readonly (byte R, byte G, byte B)[] Palette =
    [
        (24, 24, 32), (214, 170, 140), (120, 70, 40), (60, 40, 20), (40, 120, 220), (230, 200, 60), (200, 40, 60), (250, 250, 250),
    ];

    public static byte[] Png(TrainingPairs pairs, IReadOnlyList<TrainingPair> rows, IReadOnlyList<byte[]> generated)
    {
        int w = pairs.Width, h = pairs.Height, cw = pairs.CanvasWidth, x0 = pairs.Jitter;
        using var bitmap = new SKBitmap(new SKImageInfo(3 * w, Math.Max(1, rows.Count) * h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new byte[bitmap.RowBytes * bitmap.Height];
        var stride = bitmap.RowBytes;
        void Put(int px, int py, byte r, byte g, byte b)
        {
            var o = py * stride + px * 4;
            pixels[o] = r; pixels[o + 1] = g; pixels[o + 2] = b; pixels[o + 3] = 255;
        }
        for (var row = 0; row < rows.Count; row++)
        {
            var pair = rows[row];
            for (var y = 0; y < h; y++)
                for (var x = 0; x < w; x++)
                {
                    var id = pair.Labels[y * cw + x0 + x];
                    var (r, g, b) = Palette[Math.Min(id, (byte)(Palette.Length - 1))];
                    Put(x, row * h + y, r, g, b);
                    var gi = (y * w + x) * 3;
                    Put(w + x, row * h + y, generated[row][gi], generated[row][gi + 1], generated[row][gi + 2]);
                    var ri = (y * cw + x0 + x) * 3;
                    Put(2 * w + x, row * h + y, pair.Rgb[ri], pair.Rgb[ri + 1], pair.Rgb[ri + 2]);
                }
        }
        pixels.CopyTo(bitmap.GetPixelSpan());
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
