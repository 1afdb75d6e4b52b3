using SkiaSharp;

namespace NiusTv.Steps.Render;

/// <summary>The face regions of the label map: the pix2pixHD-style input the neural renderer is fed (one one-hot
/// channel per id) and what the sketch renderer colours. Ids are painted in this order, later over earlier.</summary>
/// <remarks>
/// | id | region | drawn from (0-based iBUG 68 points) |
/// |----|--------|------------------------------------|
/// | 0 | background | everything not covered below |
/// | 1 | face skin | polygon of the jaw 0–16 closed over the forehead (brows 26…17 lifted by a quarter of the brow–chin distance) |
/// | 2 | jaw line | polyline 0–16 |
/// | 3 | brows | polylines 17–21 and 22–26 |
/// | 4 | eyes | polygons 36–41 and 42–47 |
/// | 5 | nose | bridge polyline 27–30 and the base polygon 30–35 |
/// | 6 | lips | outer-lip polygon 48–59 |
/// | 7 | inner mouth (teeth, tongue) | inner-lip polygon 60–67: empty when the lips touch, grows as the mouth opens |
/// </remarks>
public static class FaceRegions
{
    public const byte Background = 0, Face = 1, JawLine = 2, Brows = 3, Eyes = 4, Nose = 5, Lips = 6, InnerMouth = 7;

    /// <summary>How many ids the map uses: a pix2pixHD checkpoint for it needs label_nc ≥ this.</summary>
    public const int Count = 8;

    public static readonly IReadOnlyList<string> Names =
        ["background", "face", "jaw line", "brows", "eyes", "nose", "lips", "inner mouth"];
}

/// <summary>Draws one frame's 68 landmarks (in the presenter photo's pixels) as a label map of
/// <see cref="FaceRegions"/> ids, one byte per pixel, rows top to bottom, placed by a <see cref="SlotFraming"/>: at
/// the slot's size, or on a larger canvas whose extra columns and rows (right and bottom) stay background. Hard edges (no anti-aliasing): every pixel holds exactly one id. Reuses one bitmap, so one
/// painter serves a whole track; not thread-safe.</summary>
public sealed class LabelMapPainter : IDisposable
{
    private readonly SKBitmap _bitmap;
    private readonly SKCanvas _canvas;
    private readonly SKPaint _fill;
    private readonly SKPaint _stroke;

    /// <param name="width">canvas width (default the slot's): a generator that needs sizes in multiples of 2^n gets
    /// the slot padded, not rescaled.</param>
    public LabelMapPainter(SlotFraming framing, int? width = null, int? height = null)
    {
        Framing = framing;
        Width = width ?? framing.Width;
        Height = height ?? framing.Height;
        if (Width < framing.Width || Height < framing.Height)
            throw new ArgumentException($"the label map canvas {Width}x{Height} is smaller than the slot {framing.Width}x{framing.Height}");
        // Alpha8 with BlendMode.Src stores the paint's alpha byte as is: the alpha is the region id.
        _bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Alpha8, SKAlphaType.Premul));
        if (_bitmap.RowBytes != Width)
            throw new InvalidOperationException($"Skia pads Alpha8 rows of {Width} pixels to {_bitmap.RowBytes} bytes");
        _canvas = new SKCanvas(_bitmap);
        _fill = new SKPaint { IsAntialias = false, BlendMode = SKBlendMode.Src, Style = SKPaintStyle.Fill };
        _stroke = new SKPaint
        {
            IsAntialias = false, BlendMode = SKBlendMode.Src, Style = SKPaintStyle.Stroke,
            StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round,
        };
    }

    public SlotFraming Framing { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>Paints the map of <paramref name="photoPoints"/> (68 [x, y]) into <paramref name="ids"/>
    /// (Width×Height bytes).</summary>
    public void Paint(float[][] photoPoints, Span<byte> ids)
    {
        if (photoPoints.Length != 68)
            throw new ArgumentException($"a landmark frame has 68 points, this one {photoPoints.Length}", nameof(photoPoints));
        if (ids.Length < Width * Height)
            throw new ArgumentException($"the label buffer holds {ids.Length} bytes, the map needs {Width * Height}", nameof(ids));
        var p = Framing.Map(photoPoints);
        _canvas.Clear(SKColors.Transparent);

        // Scale strokes with the face: the brow–chin distance in slot pixels.
        var browMid = Mid(p, 17, 26);
        var chin = p[8];
        var faceLength = Math.Max(1f, SKPoint.Distance(browMid, chin));
        var up = new SKPoint((browMid.X - chin.X) / faceLength, (browMid.Y - chin.Y) / faceLength);
        var lift = 0.25f * faceLength;

        using (var face = new SKPathBuilder())
        {
            face.MoveTo(p[0]);
            for (var i = 1; i <= 16; i++) face.LineTo(p[i]);
            for (var i = 26; i >= 17; i--) face.LineTo(p[i].X + up.X * lift, p[i].Y + up.Y * lift);
            face.Close();
            Fill(face, FaceRegions.Face);
        }
        Line(p, 0, 16, FaceRegions.JawLine, Math.Max(1.5f, 0.012f * faceLength));
        var brow = Math.Max(2f, 0.035f * faceLength);
        Line(p, 17, 21, FaceRegions.Brows, brow);
        Line(p, 22, 26, FaceRegions.Brows, brow);
        Polygon(p, FaceRegions.Eyes, 36, 37, 38, 39, 40, 41);
        Polygon(p, FaceRegions.Eyes, 42, 43, 44, 45, 46, 47);
        Line(p, 27, 30, FaceRegions.Nose, Math.Max(1.5f, 0.025f * faceLength));
        Polygon(p, FaceRegions.Nose, 30, 35, 34, 33, 32, 31);
        Polygon(p, FaceRegions.Lips, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59);
        Polygon(p, FaceRegions.InnerMouth, 60, 61, 62, 63, 64, 65, 66, 67);
        _canvas.Flush();
        _bitmap.GetPixelSpan()[..(Width * Height)].CopyTo(ids);
    }

    /// <summary>A fresh map of one frame.</summary>
    public byte[] Paint(float[][] photoPoints)
    {
        var ids = new byte[Width * Height];
        Paint(photoPoints, ids);
        return ids;
    }

    private static SKPoint Mid(SKPoint[] p, int from, int to)
    {
        float x = 0, y = 0;
        for (var i = from; i <= to; i++) { x += p[i].X; y += p[i].Y; }
        var n = to - from + 1;
        return new SKPoint(x / n, y / n);
    }

    private void Fill(SKPathBuilder builder, byte id)
    {
        using var path = builder.Detach();
        _fill.Color = new SKColor(0, 0, 0, id);
        _canvas.DrawPath(path, _fill);
    }

    private void Polygon(SKPoint[] p, byte id, params int[] indices)
    {
        using var path = new SKPathBuilder();
        path.MoveTo(p[indices[0]]);
        for (var i = 1; i < indices.Length; i++) path.LineTo(p[indices[i]]);
        path.Close();
        Fill(path, id);
    }

    private void Line(SKPoint[] p, int from, int to, byte id, float width)
    {
        using var builder = new SKPathBuilder();
        builder.MoveTo(p[from]);
        for (var i = from + 1; i <= to; i++) builder.LineTo(p[i]);
        using var path = builder.Detach();
        _stroke.Color = new SKColor(0, 0, 0, id);
        _stroke.StrokeWidth = width;
        _canvas.DrawPath(path, _stroke);
    }

    public void Dispose()
    {
        _stroke.Dispose();
        _fill.Dispose();
        _canvas.Dispose();
        _bitmap.Dispose();
    }
}
