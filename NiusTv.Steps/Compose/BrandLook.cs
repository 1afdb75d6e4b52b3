using NiusTv.Steps.Brands;
using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>A brand pack as compose draws it: the full palette (a pack gives four colours; the shades of the backdrop,
/// panel and lower third are derived from them), the logo decoded once, and the pack's font files in the workspace.
/// <see cref="Default"/> reproduces the original NIUS TV look colour for colour.</summary>
internal sealed class BrandLook : IDisposable
{
    public required BrandPack Pack { get; init; }
    public required SKColor BackTop { get; init; }
    public required SKColor BackBottom { get; init; }
    public required SKColor Panel { get; init; }
    public required SKColor PanelEnd { get; init; }
    public required SKColor Glow { get; init; }
    public required SKColor Band { get; init; }
    public required SKColor CaptionGrey { get; init; }
    public SKImage? Logo { get; init; }
    public string? RegularFont { get; init; }
    public string? BoldFont { get; init; }

    /// <summary>The pack's folder in the workspace; null for the default look, which has no files.</summary>
    public string? Folder { get; init; }

    public SKColor Accent => Pack.Colours.Accent;
    public SKColor Text => Pack.Colours.Text;
    public SKColor CaptionBox => Pack.Colours.CaptionBox;
    public string Tag => Pack.LowerThird.Tag;

    public static BrandLook Default() => new()
    {
        Pack = BrandPack.Default,
        BackTop = new SKColor(0x09, 0x14, 0x24),
        BackBottom = new SKColor(0x14, 0x2D, 0x4A),
        Panel = new SKColor(0x0D, 0x1B, 0x2C),
        PanelEnd = new SKColor(0x16, 0x2B, 0x44),
        Glow = new SKColor(0x3A, 0x6E, 0xA5),
        Band = new SKColor(0x0B, 0x12, 0x1F),
        CaptionGrey = new SKColor(0xC9, 0xD3, 0xE0),
    };

    /// <summary>The look of the story's brand: the default, or the pack init left in the workspace.</summary>
    public static BrandLook For(StepInput input, StoryLayout layout)
    {
        if (input.Story.Brand == BrandPack.DefaultName) return Default();
        if (!input.Has(Artifacts.BrandManifest))
            throw StepFailure.Permanent($"the story's brand '{input.Story.Brand}' was not brought into the workspace; run the init step again");
        var manifest = input.PathOf(Artifacts.BrandManifest);
        var (pack, errors) = BrandParser.Parse(input.Story.Brand, File.ReadAllText(manifest));
        if (pack is null) throw StepFailure.Permanent(BrandParser.Describe(input.Story.Brand, errors));
        return FromPack(pack, Path.GetDirectoryName(manifest)!, layout);
    }

    /// <param name="folder">Where the pack's files are (its relative paths resolve against it).</param>
    public static BrandLook FromPack(BrandPack pack, string folder, StoryLayout layout)
    {
        var c = pack.Colours;
        string? Local(string? relative, string field)
        {
            if (relative is null) return null;
            var path = Path.Combine(folder, relative);
            return File.Exists(path) ? path
                : throw StepFailure.Permanent($"{BrandPack.FileUri(pack.Name, relative)} ({field}) is missing from the workspace; run the init step again");
        }
        Local(pack.Music?.File, "music.file");
        Local(pack.Intro, "intro");
        Local(pack.Outro, "outro");
        SKImage? logo = null;
        if (Local(pack.Logo?.File, "logo.file") is { } logoPath)
            logo = LogoRaster.Render(logoPath, (int)Math.Round(layout.Unit * pack.Logo!.Height), $"{BrandPack.FileUri(pack.Name, pack.Logo.File)} (logo.file)");
        return new BrandLook
        {
            Pack = pack,
            // One colour from the pack; the same gentle top-to-bottom lift the default backdrop has.
            BackTop = c.Background,
            BackBottom = Mix(c.Background, SKColors.White, 0.10f),
            Panel = Mix(c.Background, SKColors.Black, 0.15f),
            PanelEnd = Mix(c.Background, SKColors.White, 0.06f),
            Glow = Mix(c.Background, c.Accent, 0.45f),
            Band = pack.LowerThird.Band ?? Mix(c.Background, SKColors.Black, 0.35f),
            CaptionGrey = Mix(c.Text, c.Background, 0.18f),
            Logo = logo,
            RegularFont = Local(pack.Fonts.Regular, "fonts.regular"),
            BoldFont = Local(pack.Fonts.Bold, "fonts.bold"),
            Folder = folder,
        };
    }

    /// <summary>Where the logo goes on a frame of this layout: inside the title-safe area, in the pack's corner, at the
    /// size it was rendered (its height a fraction of the short side, its width from its own aspect ratio).</summary>
    public SKRect LogoRect(StoryLayout layout)
    {
        if (Logo is null || Pack.Logo is not { } spec) return SKRect.Empty;
        var safe = layout.SafeArea;
        var x = spec.Corner == LogoCorner.TopLeft ? safe.Left : safe.Right - Logo.Width;
        return SKRect.Create(x, safe.Top, Logo.Width, Logo.Height);
    }

    internal static SKColor Mix(SKColor a, SKColor b, float t) => new(
        (byte)Math.Round(a.Red + (b.Red - a.Red) * t),
        (byte)Math.Round(a.Green + (b.Green - a.Green) * t),
        (byte)Math.Round(a.Blue + (b.Blue - a.Blue) * t),
        a.Alpha);

    public void Dispose() => Logo?.Dispose();
}
