using SkiaSharp;

namespace NiusTv.Steps.Brands;

/// <summary>A newsroom's look, read from <c>brands/&lt;name&gt;/brand.json</c> in the asset store (<see cref="BrandParser"/>).
/// File references are relative to the pack's folder; init copies them into the workspace under
/// <see cref="Artifacts.BrandFiles"/>, keeping those relative paths, so compose resolves them the same way.</summary>
public sealed record BrandPack(
    string Name,
    BrandColours Colours,
    BrandFonts Fonts,
    BrandLogo? Logo,
    BrandLowerThird LowerThird,
    BrandCaptions Captions,
    BrandMusic? Music,
    string? Intro = null,
    string? Outro = null)
{
    /// <summary>The story's <c>brand</c> when it names none: the built-in look, which needs no pack in the store.</summary>
    public const string DefaultName = "default";

    /// <summary>The manifest's name in the pack's folder of the asset store.</summary>
    public const string FileName = "brand.json";

    /// <summary>Store uri of a pack's brand.json.</summary>
    public static string ManifestUri(string name) => $"brands/{name}/{FileName}";

    /// <summary>Store uri of a file the pack names (relative to the pack's folder).</summary>
    public static string FileUri(string name, string relative) => $"brands/{name}/{relative}";

    /// <summary>Every file the pack refers to, with the field that names it (for messages).</summary>
    public IEnumerable<(string Field, string File, BrandFileKind Kind)> Files()
    {
        if (Fonts.Regular is { } r) yield return ("fonts.regular", r, BrandFileKind.Font);
        if (Fonts.Bold is { } b) yield return ("fonts.bold", b, BrandFileKind.Font);
        if (Logo is { } l) yield return ("logo.file", l.File, BrandFileKind.Logo);
        if (Music is { } m) yield return ("music.file", m.File, BrandFileKind.Music);
        if (Intro is { } i) yield return ("intro", i, BrandFileKind.Clip);
        if (Outro is { } o) yield return ("outro", o, BrandFileKind.Clip);
    }

    /// <summary>Today's NIUS TV look: exactly the colours the compose step always drew.</summary>
    public static readonly BrandPack Default = new(
        DefaultName,
        new BrandColours(
            Background: new SKColor(0x09, 0x14, 0x24),
            Accent: new SKColor(0xD0, 0x1F, 0x2E),
            Text: SKColors.White,
            CaptionBox: new SKColor(0, 0, 0, 190)),
        new BrandFonts(null, null),
        null,
        new BrandLowerThird("NIUS TV", null),
        new BrandCaptions(RoundedCorners: true),
        null);
}

public enum BrandFileKind { Font, Logo, Music, Clip }

/// <summary>Intro and outro clips: joined before and after the story with their own audio (silence when they have none).</summary>
public static class BrandClips
{
    public const double MaxSeconds = 30;
    public static readonly string[] Extensions = [".mp4", ".mov", ".mkv", ".webm"];
}

public sealed record BrandColours(SKColor Background, SKColor Accent, SKColor Text, SKColor CaptionBox);

/// <param name="Regular">TTF/OTF in the pack for captions and body text; null falls back to DejaVu Sans.</param>
/// <param name="Bold">TTF/OTF for titles and the tag; null falls back to DejaVu Sans Bold.</param>
public sealed record BrandFonts(string? Regular, string? Bold);

public enum LogoCorner { TopLeft, TopRight }

/// <param name="Height">Logo height as a fraction of the output's shorter side.</param>
public sealed record BrandLogo(string File, LogoCorner Corner, float Height);

/// <param name="Tag">The channel name in the lower third, over the title card and as the panel watermark.</param>
/// <param name="Band">Fill of the lower third; null derives it from the background.</param>
public sealed record BrandLowerThird(string Tag, SKColor? Band);

public sealed record BrandCaptions(bool RoundedCorners);

/// <param name="Level">Loudness of the bed where nobody speaks, in dB relative to the output's target loudness.</param>
/// <param name="Duck">How much lower the bed plays while the anchor speaks, in dB (at least <see cref="MinDuck"/>).</param>
public sealed record BrandMusic(string File, double Level, double Duck)
{
    public const double MinDuck = 12, MaxDuck = 40, DefaultDuck = 15, DefaultLevel = -10, MinLevel = -40, MaxLevel = 0;
}
