using System.Diagnostics;
using NiusTv.Steps;
using NiusTv.Steps.Brands;
using NiusTv.Steps.Init;
using NiusTv.Steps.Storage;
using NiusTv.Steps.Stories;
using SkiaSharp;
using NiusTv.Tests.Compose;
using Xunit;

namespace NiusTv.Tests.Brands;

public sealed class StoryBrandFieldTests
{
    private const string Minimal = """{"id":"a","title":"T","paragraphs":["One two three."]}""";

    private static string WithBrand(string json) => Minimal[..^1] + ",\"brand\":" + json + "}";

    [Fact]
    public void A_story_without_a_brand_has_the_default_look_and_keeps_the_canonical_bytes_it_had_before_the_field_existed()
    {
        var story = StoryParser.Parse(Minimal).Story!;
        Assert.Equal("default", story.Brand);
        Assert.DoesNotContain("brand", story.ToCanonicalJson());
        Assert.Equal(story.ContentHash(), StoryParser.Parse(WithBrand("\"default\"")).Story!.ContentHash());
    }

    [Fact]
    public void A_named_brand_is_kept_through_the_canonical_form_and_makes_a_new_revision()
    {
        var story = StoryParser.Parse(WithBrand("\"riverside\"")).Story!;
        Assert.Equal("riverside", story.Brand);
        Assert.Equal("riverside", StoryParser.Parse(story.ToCanonicalJson()).Story!.Brand);
        Assert.NotEqual(StoryParser.Parse(Minimal).Story!.ContentHash(), story.ContentHash());
    }

    [Theory]
    [InlineData("\"../secrets\"")]
    [InlineData("\"River Side\"")]
    [InlineData("\"\"")]
    [InlineData("7")]
    public void A_brand_that_cannot_be_a_pack_folder_is_an_error_naming_the_field(string json)
    {
        var error = Assert.Single(StoryParser.Parse(WithBrand(json)).Errors);
        Assert.Equal("brand", error.Field);
    }
}

public sealed class BrandParserTests
{
    private static IReadOnlyList<BrandError> Errors(string json)
    {
        var (pack, errors) = BrandParser.Parse("acme", json);
        Assert.Null(pack);
        return errors;
    }

    [Fact]
    public void A_full_pack_is_read_with_every_field()
    {
        var (pack, errors) = BrandParser.Parse("acme", """
            { "colours": { "background": "#102030", "accent": "#FF8800", "text": "#FFFFFF", "captionBox": "#000000C0" },
              "fonts": { "regular": "fonts/a.ttf", "bold": "fonts/a-bold.otf" },
              "logo": { "file": "logo.png", "placement": "top-left", "height": 0.12 },
              "lowerThird": { "tag": "ACME NEWS", "band": "#050505" },
              "captions": { "corners": "square" },
              "music": { "file": "bed.ogg", "level": -12, "duck": 18 } }
            """);
        Assert.Empty(errors);
        Assert.Equal(new SKColor(0x10, 0x20, 0x30), pack!.Colours.Background);
        Assert.Equal(new SKColor(0, 0, 0, 0xC0), pack.Colours.CaptionBox);
        Assert.Equal(new BrandFonts("fonts/a.ttf", "fonts/a-bold.otf"), pack.Fonts);
        Assert.Equal(new BrandLogo("logo.png", LogoCorner.TopLeft, 0.12f), pack.Logo);
        Assert.Equal("ACME NEWS", pack.LowerThird.Tag);
        Assert.False(pack.Captions.RoundedCorners);
        Assert.Equal(new BrandMusic("bed.ogg", -12, 18), pack.Music);
    }

    [Fact]
    public void An_empty_pack_is_the_default_look()
    {
        var (pack, _) = BrandParser.Parse("plain", "{}");
        Assert.Equal(BrandPack.Default.Colours, pack!.Colours);
        Assert.Equal(BrandPack.Default.LowerThird, pack.LowerThird);
        Assert.Null(pack.Logo);
        Assert.Null(pack.Music);
    }

    [Theory]
    [InlineData("""{"colours": {"acccent": "#FF0000"}}""", "colours.acccent", "unknown field 'acccent'")]
    [InlineData("""{"intro": 5}""", "intro", "must be the path of a video clip")]
    [InlineData("""{"outro": "outro.gif"}""", "outro", "must be a video clip (MP4, MOV, MKV or WebM)")]
    [InlineData("""{"colours": {"accent": "red"}}""", "colours.accent", "is not a colour")]
    [InlineData("""{"colours": {"background": "#12345"}}""", "colours.background", "is not a colour")]
    [InlineData("""{"fonts": {"regular": "../../etc/font.ttf"}}""", "fonts.regular", "relative path inside the pack")]
    [InlineData("""{"fonts": {"bold": "fonts/a.woff2"}}""", "fonts.bold", "must be a TTF or OTF font")]
    [InlineData("""{"logo": {"file": "logo.gif"}}""", "logo.file", "must be a PNG or SVG image")]
    [InlineData("""{"logo": {"placement": "top-left"}}""", "logo.file", "is required")]
    [InlineData("""{"logo": {"file": "l.png", "placement": "bottom-left"}}""", "logo.placement", "is not a placement")]
    [InlineData("""{"logo": {"file": "l.png", "height": 0.9}}""", "logo.height", "must be a number from 0.03 to 0.25")]
    [InlineData("""{"lowerThird": {"tag": ""}}""", "lowerThird.tag", "must be the channel name")]
    [InlineData("""{"captions": {"corners": "oval"}}""", "captions.corners", "is not a caption box shape")]
    [InlineData("""{"music": {"file": "bed.ogg", "duck": 6}}""", "music.duck", "must be a number from 12 to 40")]
    [InlineData("""{"music": {"file": "bed.txt"}}""", "music.file", "must be an audio file")]
    public void Every_bad_field_is_an_error_naming_the_file_and_the_field(string json, string field, string message)
    {
        var error = Assert.Single(Errors(json));
        Assert.Equal("brands/acme/brand.json", error.File);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message);
        Assert.StartsWith($"brands/acme/brand.json: {field}: ", error.ToString());
    }

    [Fact]
    public void All_the_problems_of_a_pack_are_reported_at_once()
    {
        var errors = Errors("""{"colours": {"accent": "nope", "text": 3}, "logo": {"file": "x.png", "height": 2}, "colour": {}}""");
        Assert.Equal(["colour", "colours.accent", "colours.text", "logo.height"], errors.Select(e => e.Field).Order());
    }

    [Fact]
    public void A_pack_that_is_not_json_names_the_file()
    {
        var error = Assert.Single(Errors("{ \"colours\": "));
        Assert.Contains("brands/acme/brand.json: is not valid JSON", error.ToString());
    }
}

/// <summary>Init with brand packs in a local asset folder, as `nius demo` uses one.</summary>
[Trait("Speed", "Slow")]
public sealed class BrandInitTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _assets;
    private readonly string _workspace;

    public BrandInitTests()
    {
        _assets = _temp.Folder("assets");
        _workspace = _temp.Folder("workspace");
    }

    public void Dispose() => _temp.Dispose();

    private string Asset(string uri, byte[] content)
    {
        var path = Path.Combine(_assets, uri);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    private StepInput Input(string brand) => new(
        new Story(Id: "city-budget", Title: "City budget", Paragraphs: ["First paragraph."], Images: [], Presenter: "default",
            Voice: "default", Priority: StoryPriority.Normal, Output: StoryOutput.LocalDefault, Brand: brand),
        1, _workspace, new Dictionary<string, string>());

    private Task<StepOutput> Run(string brand, BrandLimits? limits = null) =>
        new InitStep(new LocalFolderAssetStore(_assets), brandLimits: limits).RunAsync(Input(brand), new ProgressLog(), CancellationToken.None);

    private async Task<string> Fails(string brand, BrandLimits? limits = null)
    {
        var failure = await Assert.ThrowsAsync<StepFailure>(() => Run(brand, limits));
        Assert.False(failure.Transient);
        return failure.Message;
    }

    /// <summary>A solid-colour PNG, so a test can find the logo's pixels in a frame.</summary>
    internal static byte[] Png(int w, int h, SKColor colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        bitmap.Erase(colour);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    internal static void Tone(string path, double seconds, double hz)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-y", "-f", "lavfi", "-i", $"sine=frequency={hz}:sample_rate=48000:duration={seconds}", "-af", "volume=0.3", path })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }

    private void GoodPack(string name)
    {
        Asset($"brands/{name}/brand.json", """
            { "colours": { "background": "#102030", "accent": "#FF8800" },
              "fonts": { "regular": "fonts/serif.ttf" },
              "logo": { "file": "logo.png" },
              "music": { "file": "bed.wav" } }
            """u8.ToArray());
        Asset($"brands/{name}/fonts/serif.ttf", File.ReadAllBytes("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"));
        Asset($"brands/{name}/logo.png", Png(80, 40, SKColors.Red));
        Tone(Path.Combine(Directory.CreateDirectory(Path.Combine(_assets, "brands", name)).FullName, "bed.wav"), 2, 220);
    }

    [Fact]
    public async Task A_good_pack_is_brought_into_the_workspace_with_every_file_it_names()
    {
        GoodPack("acme");
        var output = await Run("acme");
        Assert.Equal("brand/brand.json", output.Artifacts[NiusTv.Steps.Artifacts.BrandManifest.Name]);
        foreach (var file in new[] { "brand/brand.json", "brand/fonts/serif.ttf", "brand/logo.png", "brand/bed.wav" })
            Assert.True(File.Exists(Path.Combine(_workspace, file)), file);
    }

    [Fact]
    public async Task The_default_brand_needs_no_pack_in_the_store()
    {
        var output = await Run("default");
        Assert.False(output.Artifacts.ContainsKey(NiusTv.Steps.Artifacts.BrandManifest.Name));
    }

    [Fact]
    public async Task A_story_naming_a_missing_brand_fails_at_init_naming_the_brand()
    {
        var message = await Fails("nowhere");
        Assert.Contains("brand 'nowhere' does not exist", message);
        Assert.Contains("brands/nowhere/brand.json was not found", message);
    }

    [Fact]
    public async Task A_bad_field_fails_init_naming_the_file_and_the_field()
    {
        Asset("brands/acme/brand.json", """{"colours": {"accent": "orange"}}"""u8.ToArray());
        var message = await Fails("acme");
        Assert.Contains("brands/acme/brand.json: colours.accent:", message);
    }

    [Fact]
    public async Task A_missing_font_fails_init_naming_the_file_and_the_field()
    {
        GoodPack("acme");
        File.Delete(Path.Combine(_assets, "brands/acme/fonts/serif.ttf"));
        var message = await Fails("acme");
        Assert.Contains("brands/acme/fonts/serif.ttf (brands/acme/brand.json, fonts.regular) was not found", message);
    }

    [Fact]
    public async Task A_font_that_does_not_load_fails_init_naming_the_file_and_the_field()
    {
        GoodPack("acme");
        Asset("brands/acme/fonts/serif.ttf", "this is not a font"u8.ToArray());
        var message = await Fails("acme");
        Assert.Contains("brands/acme/fonts/serif.ttf (brands/acme/brand.json, fonts.regular) is not a font that loads", message);
    }

    [Fact]
    public async Task An_oversized_logo_fails_init_naming_the_file_and_the_field()
    {
        GoodPack("acme");
        var message = await Fails("acme", new BrandLimits(MaxLogoBytes: 100));
        Assert.Contains("brands/acme/logo.png (brands/acme/brand.json, logo.file) is", message);
        Assert.Contains("may be at most 100", message);
    }

    [Fact]
    public async Task A_logo_that_is_not_an_image_fails_init_naming_the_file_and_the_field()
    {
        GoodPack("acme");
        Asset("brands/acme/logo.png", System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("<svg>not a png</svg>", 20))));
        var message = await Fails("acme");
        Assert.Contains("brands/acme/logo.png (brands/acme/brand.json, logo.file) is not a JPEG, PNG or WebP image", message);
    }

    [Fact]
    public async Task A_music_bed_that_does_not_decode_fails_init_naming_the_file_and_the_field()
    {
        GoodPack("acme");
        var wav = File.ReadAllBytes(Path.Combine(_assets, "brands/acme/bed.wav"));
        Asset("brands/acme/bed.wav", [.. "RIFF"u8.ToArray(), .. new byte[64], .. wav.AsSpan(200, 2000).ToArray()]);
        var message = await Fails("acme");
        Assert.Contains("brands/acme/bed.wav (brands/acme/brand.json, music.file) does not decode as audio", message);
    }

    [Fact]
    public async Task An_intro_clip_that_does_not_decode_fails_init_naming_the_file_and_the_field()
    {
        Asset("brands/acme/brand.json", """{"intro": "clips/intro.mp4"}"""u8.ToArray());
        Asset("brands/acme/clips/intro.mp4", System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("not a video ", 100))));
        var message = await Fails("acme");
        Assert.Contains("brands/acme/clips/intro.mp4 (brands/acme/brand.json, intro) does not decode as a video clip", message);
    }

    [Fact]
    public async Task An_svg_logo_is_accepted_and_a_broken_one_fails_init_naming_the_file_and_the_field()
    {
        Asset("brands/acme/brand.json", """{"logo": {"file": "logo.svg"}}"""u8.ToArray());
        Asset("brands/acme/logo.svg", """<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40"><rect width="80" height="40" fill="#0000ff"/></svg>"""u8.ToArray());
        await Run("acme");
        Assert.True(File.Exists(Path.Combine(_workspace, "brand/logo.svg")));

        Asset("brands/acme/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width="u8.ToArray());
        var message = await Fails("acme");
        Assert.Contains("brands/acme/logo.svg (brands/acme/brand.json, logo.file) is not an SVG image that can be drawn", message);
    }

    [Fact]
    public async Task A_silent_music_bed_fails_init_naming_the_file_and_the_field()
    {
        Asset("brands/acme/brand.json", """{"music": {"file": "bed.wav"}}"""u8.ToArray());
        SyntheticWorkspace.WriteTone(Path.Combine(_assets, "brands/acme/bed.wav"), 2, 48000, amplitude: 0);
        var message = await Fails("acme");
        Assert.Contains("brands/acme/bed.wav (brands/acme/brand.json, music.file) is silent", message);
    }
}

public sealed class EditorBrandTests
{
    [Fact]
    public void The_newsroom_editor_keeps_a_story_brand_through_a_draft()
    {
        var story = StoryParser.Parse("""{"id":"a","title":"T","paragraphs":["One two three."],"brand":"riverside"}""").Story!;
        Assert.Equal("riverside", NiusTv.Host.Newsroom.EditorDocument.From(story).Brand);
        using var draft = System.Text.Json.JsonDocument.Parse("""{"brand":"orbit"}""");
        Assert.Equal("orbit", NiusTv.Host.Newsroom.EditorDocument.From(draft.RootElement).Brand);
        Assert.Equal("default", NiusTv.Host.Newsroom.EditorDocument.Empty.Brand);
    }
}
