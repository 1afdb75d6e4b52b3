using SkiaSharp;

namespace NiusTv.Tests.Init;

/// <summary>Real encoded images made with Skia, so the tests need no binary fixtures.</summary>
public static class TestImages
{
    public static byte[] Encode(int width, int height, SKEncodedImageFormat format, int quality = 90)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(30, 60, 120));
            using var paint = new SKPaint { IsAntialias = true };
            // Noise-like content keeps compressed files large enough that cutting one in half removes real image data.
            var random = new Random(width * 31 + height);
            for (var i = 0; i < 200; i++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                canvas.DrawCircle(random.Next(width), random.Next(height), 1 + random.Next(Math.Max(2, Math.Min(width, height) / 4)), paint);
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot encode {format}");
        return data.ToArray();
    }

    /// <summary>A 1×1 GIF89a written byte by byte (Skia decodes GIF but cannot encode it).</summary>
    public static byte[] Gif() =>
    [
        .. "GIF89a"u8,
        0x01, 0x00, 0x01, 0x00,       // logical screen 1×1
        0x80, 0x00, 0x00,             // global colour table of 2 entries, background 0, aspect 0
        0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
        0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // image descriptor 1×1 at 0,0
        0x02, 0x02, 0x44, 0x01, 0x00, // LZW min code size 2, one 2-byte sub-block, terminator
        0x3B,                          // trailer
    ];

    /// <summary>A 2×2 24-bit BMP, another format that is an image but not one we accept.</summary>
    public static byte[] Bmp()
    {
        const int rowBytes = 8; // 2 pixels × 3 bytes, padded to a multiple of 4
        var pixels = new byte[rowBytes * 2];
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write("BM"u8);
        w.Write(54 + pixels.Length);
        w.Write(0);
        w.Write(54);
        w.Write(40); w.Write(2); w.Write(2); w.Write((short)1); w.Write((short)24);
        w.Write(0); w.Write(pixels.Length); w.Write(2835); w.Write(2835); w.Write(0); w.Write(0);
        w.Write(pixels);
        w.Flush();
        return ms.ToArray();
    }
}
