using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>Where everything goes on a frame of a given output size. Pure geometry, no drawing, so it can be
/// unit-tested and so the anchor step composites the presenter into exactly the slot compose left empty.
/// Landscape and square outputs put the presenter in a column on the right; portrait outputs put the
/// presenter in a band under the picture. All sizes derive from the shorter side so text keeps the same
/// proportion from 160×90 to 3840×2160.</summary>
public sealed class StoryLayout
{
    public int Width { get; }
    public int Height { get; }

    /// <summary>True when the presenter stands below the picture (taller than wide).</summary>
    public bool IsPortrait { get; }

    /// <summary>The shorter side; every size below is a fraction of it.</summary>
    public int Unit { get; }

    public int Margin { get; }

    /// <summary>The picture panel: story images are letterboxed (never stretched) inside it.</summary>
    public SKRectI ImageArea { get; }

    /// <summary>Left empty by compose (studio backdrop only) for the presenter.</summary>
    public SKRectI AnchorSlot { get; }

    /// <summary>The band with the story title and the image caption, full width at the bottom.</summary>
    public SKRectI LowerThird { get; }

    /// <summary>The band inside the picture where the burnt-in caption line is centred.</summary>
    public SKRectI CaptionBand { get; }

    /// <summary>Widest a caption line's text may be, leaving room for its backing box padding.</summary>
    public float CaptionMaxTextWidth { get; }

    /// <summary>Padding between caption text and the edge of its backing box.</summary>
    public float CaptionPadding { get; }

    /// <summary>Where the title card text must fit.</summary>
    public SKRectI TitleCardArea { get; }

    public float CaptionFontSize { get; }
    public float LowerThirdTitleFontSize { get; }

    /// <summary>Smallest the lower-third title shrinks to (about 1/40 of the short side) after wrapping onto two lines.</summary>
    public float LowerThirdTitleMinFontSize { get; }

    /// <summary>True on outputs narrower than 3:2 (portrait, 4:5, square): the channel tag sits above the title as
    /// a label instead of beside it, so the title has the whole width for its two lines.</summary>
    public bool LowerThirdStacked { get; }

    /// <summary>The stacked layout's tag label text size.</summary>
    public float LowerThirdTagFontSize { get; }

    /// <summary>Height of the accent stripe along the top of the lower third.</summary>
    public float LowerThirdStripe { get; }

    /// <summary>The title-safe area: the frame less 5% on every side (EBU R 95's graphics-safe area). Caption
    /// boxes stay inside it, and so does the lower third's text horizontally.</summary>
    public SKRectI SafeArea { get; }
    public float LowerThirdCaptionFontSize { get; }

    /// <summary>Largest title card font size; the title shrinks from this until it fits.</summary>
    public float TitleCardMaxFontSize { get; }

    public float TitleCardMinFontSize { get; }

    /// <summary>Largest zoom of the slow pan/zoom; images are pre-scaled for it so zooming never upsamples.</summary>
    public const float MaxZoom = 1.08f;

    public StoryLayout(int width, int height)
    {
        if (width < 16 || height < 16) throw new ArgumentOutOfRangeException(nameof(width), $"output {width}x{height} is too small to lay out");
        Width = width;
        Height = height;
        IsPortrait = height > width;
        Unit = Math.Min(width, height);
        Margin = Math.Max(1, (int)MathF.Round(Unit * 0.025f));

        // Text sizes: fractions of the short side, with a floor so 160×90 stays legible-ish rather than
        // vanishing; the bands below are derived from these so they always hold their text.
        CaptionFontSize = MathF.Max(6f, Unit * 0.052f);
        LowerThirdTitleFontSize = MathF.Max(6f, Unit * 0.056f);
        LowerThirdCaptionFontSize = MathF.Max(5f, Unit * 0.036f);
        TitleCardMaxFontSize = MathF.Max(8f, Unit * 0.11f);
        TitleCardMinFontSize = MathF.Max(5f, Unit * 0.04f);

        LowerThirdTitleMinFontSize = MathF.Max(5f, Unit * 0.024f);
        LowerThirdStacked = width < height * 1.5f;
        LowerThirdTagFontSize = LowerThirdCaptionFontSize * 0.9f;
        LowerThirdStripe = MathF.Max(1f, Unit * 0.006f);
        int insetX = (int)MathF.Ceiling(width * 0.05f), insetY = (int)MathF.Ceiling(height * 0.05f);
        SafeArea = new SKRectI(insetX, insetY, width - insetX, height - insetY);

        // Landscape: tag beside one title line and the image caption (a two-line title shrinks into the same
        // band). Stacked: the tag label, then room for two title lines at 80% of the title size, then the caption.
        var lowerThirdHeight = LowerThirdStacked
            ? (int)MathF.Ceiling(LowerThirdStripe + Margin * 0.5f + LowerThirdTagFontSize * 1.5f + Margin * 0.4f
                + 2 * 0.8f * LowerThirdTitleFontSize * 1.2f + LowerThirdCaptionFontSize * 1.35f + Margin * 0.8f)
            : (int)MathF.Ceiling(LowerThirdTitleFontSize * 1.35f + LowerThirdCaptionFontSize * 1.35f + Margin * 2.2f);
        lowerThirdHeight = Math.Min(lowerThirdHeight, height / 3);
        LowerThird = new SKRectI(0, height - lowerThirdHeight, width, height);
        var aboveLowerThird = height - lowerThirdHeight;

        if (!IsPortrait)
        {
            // A column shaped for a standing presenter (roughly 3:4), but never more than 30% of the width.
            var anchorWidth = (int)MathF.Round(MathF.Min(width * 0.30f, (aboveLowerThird - Margin) * 0.75f));
            anchorWidth = Math.Clamp(anchorWidth, 1, width / 2);
            AnchorSlot = new SKRectI(width - anchorWidth, Margin, width, aboveLowerThird);
            ImageArea = new SKRectI(Margin, Margin, Math.Max(Margin + 1, width - anchorWidth - Margin / 2), Math.Max(Margin + 1, aboveLowerThird - Margin));
        }
        else
        {
            var imageHeight = (int)MathF.Round((aboveLowerThird - Margin) * 0.55f);
            ImageArea = new SKRectI(Margin, Margin, width - Margin, Margin + Math.Max(1, imageHeight));
            AnchorSlot = new SKRectI(0, ImageArea.Bottom + Margin / 2, width, aboveLowerThird);
        }

        CaptionPadding = MathF.Max(1f, CaptionFontSize * 0.45f);
        var bandHeight = (int)MathF.Ceiling(CaptionFontSize * 1.5f);
        var bandBottom = ImageArea.Bottom - Margin;
        CaptionBand = new SKRectI(ImageArea.Left + Margin, Math.Max(ImageArea.Top, bandBottom - bandHeight), ImageArea.Right - Margin, bandBottom);
        // About 42 characters at most, the usual subtitle limit: on very wide outputs a line across the whole
        // picture would be too long to read in the time it is shown.
        // And never so wide that its box leaves the safe area: the box is centred on the band.
        var safeHalf = MathF.Min(CaptionBand.MidX - SafeArea.Left, SafeArea.Right - CaptionBand.MidX);
        CaptionMaxTextWidth = MathF.Max(1f, MathF.Min(MathF.Min(CaptionBand.Width - 2 * CaptionPadding, CaptionFontSize * 24f), 2 * (safeHalf - CaptionPadding)));

        var titleInsetX = (int)MathF.Round(width * 0.08f);
        var titleInsetY = (int)MathF.Round(height * 0.18f);
        TitleCardArea = new SKRectI(titleInsetX, titleInsetY, width - titleInsetX, height - titleInsetY);
    }

    /// <summary>The largest rect with the source's aspect ratio that fits inside <paramref name="area"/>,
    /// centred (letterbox or pillarbox).</summary>
    public static SKRect FitInside(int sourceWidth, int sourceHeight, SKRect area)
    {
        if (sourceWidth <= 0 || sourceHeight <= 0) throw new ArgumentOutOfRangeException(nameof(sourceWidth), "image has no pixels");
        var scale = MathF.Min(area.Width / sourceWidth, area.Height / sourceHeight);
        var w = sourceWidth * scale;
        var h = sourceHeight * scale;
        var x = area.Left + (area.Width - w) / 2;
        var y = area.Top + (area.Height - h) / 2;
        return new SKRect(x, y, x + w, y + h);
    }

    /// <summary>The smallest rect with the source's aspect ratio that covers <paramref name="area"/>, centred
    /// (for the blurred fill behind a letterboxed image).</summary>
    public static SKRect Cover(int sourceWidth, int sourceHeight, SKRect area)
    {
        var scale = MathF.Max(area.Width / sourceWidth, area.Height / sourceHeight);
        var w = sourceWidth * scale;
        var h = sourceHeight * scale;
        var x = area.Left + (area.Width - w) / 2;
        var y = area.Top + (area.Height - h) / 2;
        return new SKRect(x, y, x + w, y + h);
    }
}
