using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>The typefaces and the sized fonts of one layout. Loaded from files (the NoDependencies Skia
/// build has no fontconfig, so there is no usable default typeface to fall back on).</summary>
public sealed class ComposeFonts : IDisposable
{
    public SKTypeface Regular { get; }
    public SKTypeface Bold { get; }
    public SKFont Caption { get; }
    public SKFont LowerThirdTitle { get; }
    public SKFont LowerThirdCaption { get; }
    public SKFont Tag { get; }

    /// <param name="regularPath">A brand pack's font in the workspace; null falls back to the node's DejaVu (<see cref="ComposeOptions.FontPath"/>).</param>
    /// <param name="text">Everything the story will show; a brand font that lacks a glyph of it gives way to DejaVu.</param>
    public ComposeFonts(ComposeOptions options, StoryLayout layout, string? regularPath = null, string? boldPath = null, string? text = null)
    {
        Regular = LoadCovering(regularPath, options.FontPath, text);
        Bold = LoadCovering(boldPath, options.BoldFontPath, text);
        Caption = Make(Regular, layout.CaptionFontSize);
        LowerThirdTitle = Make(Bold, layout.LowerThirdTitleFontSize);
        LowerThirdCaption = Make(Regular, layout.LowerThirdCaptionFontSize);
        Tag = Make(Bold, layout.LowerThirdCaptionFontSize * 1.15f);
    }

    public static SKFont Make(SKTypeface typeface, float size) => new(typeface, size)
    {
        Edging = SKFontEdging.Antialias,
        Subpixel = true,
        // Metrics that scale linearly keep wrapping decisions the same at every output size.
        LinearMetrics = true,
        Hinting = SKFontHinting.Slight,
    };

    /// <summary>The brand's font when it has every glyph the story needs, else the node's DejaVu. Skia without a shaper
    /// has no per-glyph fallback, so a brand font without "é" or Cyrillic would draw empty boxes in a name or a title:
    /// the whole story then uses DejaVu, which covers Latin, Greek and Cyrillic, rather than show a broken word.</summary>
    private static SKTypeface LoadCovering(string? brandPath, string fallbackPath, string? text)
    {
        if (brandPath is null) return Load(fallbackPath);
        var brand = Load(brandPath);
        if (text is null) return brand;
        using (var font = new SKFont(brand))
            if (font.ContainsGlyphs(text)) return brand;
        brand.Dispose();
        return Load(fallbackPath);
    }

    private static SKTypeface Load(string path)
    {
        if (!File.Exists(path))
            throw StepFailure.Permanent($"the font '{path}' is not installed on this node (apt-get install fonts-dejavu-core, or set the compose font paths)");
        return SKTypeface.FromFile(path) ?? throw StepFailure.Permanent($"the font '{path}' could not be loaded");
    }

    public void Dispose()
    {
        Caption.Dispose();
        LowerThirdTitle.Dispose();
        LowerThirdCaption.Dispose();
        Tag.Dispose();
        Regular.Dispose();
        Bold.Dispose();
    }
}
