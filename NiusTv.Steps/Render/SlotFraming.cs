using NiusTv.Steps.Landmarks;
using SkiaSharp;

namespace NiusTv.Steps.Render;

/// <summary>Where the presenter's photo sits in the anchor slot: a scale and a shift (no rotation), chosen so the
/// reference face has the height and vertical position the presenter's framing asks for and is centred
/// horizontally. Every renderer maps landmarks with the same transform, so switching renderer keeps the anchor
/// in place.</summary>
public sealed class SlotFraming
{
    public float Scale { get; }
    public float OffsetX { get; }
    public float OffsetY { get; }
    public int Width { get; }
    public int Height { get; }

    public SlotFraming(PresenterReference presenter, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"slot {width}x{height} is empty");
        var box = presenter.Face.Box;
        if (box.Width <= 0 || box.Height <= 0) throw new ArgumentException($"presenter '{presenter.Name}' has an empty face box");
        Width = width;
        Height = height;
        Scale = (float)(presenter.Framing.FaceHeight * height / box.Height);
        OffsetX = width / 2f - Scale * (box.Left + box.Right) / 2f;
        OffsetY = (float)(presenter.Framing.FaceCentreY * height) - Scale * (box.Top + box.Bottom) / 2f;
        if (presenter.Clip is not null)
        {
            // Footage has no edge to extend past: the clip always covers the whole slot, the face as near its
            // framing as that allows (a head-and-shoulders clip sits on the slot's bottom edge).
            Scale = Math.Max(Scale, Math.Max((float)width / presenter.Width, (float)height / presenter.Height));
            OffsetX = Math.Clamp(width / 2f - Scale * (box.Left + box.Right) / 2f, width - Scale * presenter.Width, 0);
            OffsetY = Math.Clamp((float)(presenter.Framing.FaceCentreY * height) - Scale * (box.Top + box.Bottom) / 2f,
                height - Scale * presenter.Height, 0);
        }
    }

    /// <summary>Photo pixels → slot pixels.</summary>
    public SKMatrix Matrix => new(Scale, 0, OffsetX, 0, Scale, OffsetY, 0, 0, 1);

    public SKPoint Map(float x, float y) => new(Scale * x + OffsetX, Scale * y + OffsetY);

    public SKPoint[] Map(float[][] points)
    {
        var mapped = new SKPoint[points.Length];
        for (var i = 0; i < points.Length; i++) mapped[i] = Map(points[i][0], points[i][1]);
        return mapped;
    }
}
