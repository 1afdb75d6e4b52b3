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
    public ComposeFonts(ComposeOptions options, StoryLayout layout, string? regularPath = null, string? boldPath = null)
    {
        Regular = Load(regularPath ?? options.FontPath);
        Bold = Load(boldPath ?? options.BoldFontPath);
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
