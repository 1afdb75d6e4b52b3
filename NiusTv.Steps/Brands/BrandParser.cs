using System.Globalization;
using System.Text.Json;
using NiusTv.Steps.Stories;
using SkiaSharp;

namespace NiusTv.Steps.Brands;

/// <summary>One problem in a brand pack: the file (store uri) and the JSON field, so the person fixing it finds it.</summary>
public sealed record BrandError(string File, string Field, string Message)
{
    public override string ToString() => string.IsNullOrEmpty(Field) ? $"{File}: {Message}" : $"{File}: {Field}: {Message}";
}

/// <summary>Reads brand.json strictly, collecting every problem in one pass (as the story parser does): an unknown or
/// repeated field is an error, never ignored, because a misspelt "acccent" silently falling back to the default
/// colour is exactly the mistake a brand designer cannot see.</summary>
public static class BrandParser
{
    public const int MaxManifestBytes = 64 * 1024;
    public const int MaxTagChars = 24;

    private static readonly string[] TopLevel = ["colours", "fonts", "logo", "lowerThird", "captions", "music", "intro", "outro"];
    private static readonly string[] ColourProps = ["background", "accent", "text", "captionBox"];
    private static readonly string[] FontProps = ["regular", "bold"];
    private static readonly string[] LogoProps = ["file", "placement", "height"];
    private static readonly string[] LowerThirdProps = ["tag", "band"];
    private static readonly string[] CaptionProps = ["corners"];
    private static readonly string[] MusicProps = ["file", "level", "duck"];

    public static (BrandPack? Pack, IReadOnlyList<BrandError> Errors) Parse(string name, string json)
    {
        var file = BrandPack.ManifestUri(name);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } l ? $" at line {l + 1}" : "";
            return (null, [new BrandError(file, "", $"is not valid JSON{where}")]);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return (null, [new BrandError(file, "", "must be a JSON object")]);
            return new Reader(name, file).Read(doc.RootElement);
        }
    }

    /// <summary>The problems as one sentence for a <see cref="StepFailure"/>.</summary>
    public static string Describe(string name, IReadOnlyList<BrandError> errors) =>
        $"brand '{name}' is not a valid brand pack: {string.Join("; ", errors)}";

    private sealed class Reader(string name, string file)
    {
        private readonly List<BrandError> _errors = [];
        private readonly BrandPack _d = BrandPack.Default;

        private void Error(string field, string message) => _errors.Add(new BrandError(file, field, message));

        public (BrandPack?, IReadOnlyList<BrandError>) Read(JsonElement root)
        {
            var props = Properties(root, "", TopLevel);
            var colours = props.TryGetValue("colours", out var c) ? ReadColours(c) : _d.Colours;
            var fonts = props.TryGetValue("fonts", out var f) ? ReadFonts(f) : _d.Fonts;
            var logo = props.TryGetValue("logo", out var l) ? ReadLogo(l) : null;
            var lowerThird = props.TryGetValue("lowerThird", out var lt) ? ReadLowerThird(lt) : _d.LowerThird;
            var captions = props.TryGetValue("captions", out var cap) ? ReadCaptions(cap) : _d.Captions;
            var music = props.TryGetValue("music", out var m) ? ReadMusic(m) : null;
            const string clip = "a video clip (MP4, MOV, MKV or WebM)";
            var intro = props.TryGetValue("intro", out var i) ? ReadFile(i, "intro", BrandClips.Extensions, clip) : null;
            var outro = props.TryGetValue("outro", out var o) ? ReadFile(o, "outro", BrandClips.Extensions, clip) : null;
            if (_errors.Count > 0) return (null, _errors);
            return (new BrandPack(name, colours!, fonts!, logo, lowerThird!, captions!, music, intro, outro), []);
        }

        private Dictionary<string, JsonElement> Properties(JsonElement obj, string prefix, string[] known)
        {
            var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var p in obj.EnumerateObject())
            {
                var path = prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}";
                if (!known.Contains(p.Name, StringComparer.Ordinal))
                    Error(path, $"unknown field '{p.Name}' (allowed here: {string.Join(", ", known)})");
                else if (!result.TryAdd(p.Name, p.Value))
                    Error(path, "appears more than once");
            }
            return result;
        }

        private bool IsObject(JsonElement el, string field)
        {
            if (el.ValueKind == JsonValueKind.Object) return true;
            Error(field, $"must be an object, not {el.ValueKind.ToString().ToLowerInvariant()}");
            return false;
        }

        private BrandColours? ReadColours(JsonElement el)
        {
            if (!IsObject(el, "colours")) return null;
            var p = Properties(el, "colours", ColourProps);
            var d = _d.Colours;
            SKColor? Get(string key, SKColor fallback) => p.TryGetValue(key, out var v) ? ReadColour(v, $"colours.{key}") : fallback;
            var (bg, accent, text, box) = (Get("background", d.Background), Get("accent", d.Accent), Get("text", d.Text), Get("captionBox", d.CaptionBox));
            return bg is { } b && accent is { } a && text is { } t && box is { } x ? new BrandColours(b, a, t, x) : null;
        }

        /// <summary>#RRGGBB or #RRGGBBAA, the two spellings design tools export.</summary>
        private SKColor? ReadColour(JsonElement el, string field)
        {
            var s = el.ValueKind == JsonValueKind.String ? el.GetString()! : null;
            if (s is { Length: 7 or 9 } && s[0] == '#' && uint.TryParse(s.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
                return s.Length == 7
                    ? new SKColor((byte)(v >> 16), (byte)(v >> 8), (byte)v)
                    : new SKColor((byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v);
            Error(field, $"{el.GetRawText()} is not a colour; write it as \"#RRGGBB\" or \"#RRGGBBAA\"");
            return null;
        }

        private BrandFonts? ReadFonts(JsonElement el)
        {
            if (!IsObject(el, "fonts")) return null;
            var p = Properties(el, "fonts", FontProps);
            var ok = true;
            string? Get(string key)
            {
                if (!p.TryGetValue(key, out var v)) return null;
                var f = ReadFile(v, $"fonts.{key}", [".ttf", ".otf"], "a TTF or OTF font");
                ok &= f is not null;
                return f;
            }
            var (regular, bold) = (Get("regular"), Get("bold"));
            return ok ? new BrandFonts(regular, bold) : null;
        }

        private BrandLogo? ReadLogo(JsonElement el)
        {
            if (!IsObject(el, "logo")) return null;
            var p = Properties(el, "logo", LogoProps);
            string? file = null;
            if (!p.TryGetValue("file", out var f)) Error("logo.file", "is required (a PNG or SVG file in the pack, e.g. \"logo.svg\")");
            else file = ReadFile(f, "logo.file", [".png", ".svg"], "a PNG or SVG image");

            var corner = LogoCorner.TopRight;
            var cornerOk = true;
            if (p.TryGetValue("placement", out var pl))
            {
                switch (pl.ValueKind == JsonValueKind.String ? pl.GetString() : null)
                {
                    case "top-right": corner = LogoCorner.TopRight; break;
                    case "top-left": corner = LogoCorner.TopLeft; break;
                    default:
                        Error("logo.placement", $"{pl.GetRawText()} is not a placement; use \"top-left\" or \"top-right\" (the lower third holds the bottom)");
                        cornerOk = false;
                        break;
                }
            }
            var height = p.TryGetValue("height", out var h) ? ReadNumber(h, "logo.height", 0.03, 0.25) : 0.1;
            return file is not null && cornerOk && height is { } hh ? new BrandLogo(file, corner, (float)hh) : null;
        }

        private BrandLowerThird? ReadLowerThird(JsonElement el)
        {
            if (!IsObject(el, "lowerThird")) return null;
            var p = Properties(el, "lowerThird", LowerThirdProps);
            string? tag = _d.LowerThird.Tag;
            if (p.TryGetValue("tag", out var t))
            {
                var s = t.ValueKind == JsonValueKind.String ? t.GetString()!.Trim() : null;
                if (s is null || s.Length == 0 || s.Length > MaxTagChars || s.Any(char.IsControl))
                {
                    Error("lowerThird.tag", $"must be the channel name, 1–{MaxTagChars} characters on one line, not {Shorten(t.GetRawText())}");
                    tag = null;
                }
                else tag = s;
            }
            SKColor? band = null;
            var bandOk = true;
            if (p.TryGetValue("band", out var b)) { band = ReadColour(b, "lowerThird.band"); bandOk = band is not null; }
            return tag is not null && bandOk ? new BrandLowerThird(tag, band) : null;
        }

        private BrandCaptions? ReadCaptions(JsonElement el)
        {
            if (!IsObject(el, "captions")) return null;
            var p = Properties(el, "captions", CaptionProps);
            if (!p.TryGetValue("corners", out var c)) return _d.Captions;
            switch (c.ValueKind == JsonValueKind.String ? c.GetString() : null)
            {
                case "rounded": return new BrandCaptions(true);
                case "square": return new BrandCaptions(false);
                default:
                    Error("captions.corners", $"{Shorten(c.GetRawText())} is not a caption box shape; use \"rounded\" or \"square\"");
                    return null;
            }
        }

        private BrandMusic? ReadMusic(JsonElement el)
        {
            if (!IsObject(el, "music")) return null;
            var p = Properties(el, "music", MusicProps);
            string? file = null;
            if (!p.TryGetValue("file", out var f)) Error("music.file", "is required (an audio file in the pack, e.g. \"music.ogg\")");
            else file = ReadFile(f, "music.file", [".ogg", ".opus", ".mp3", ".wav", ".flac", ".m4a"], "an audio file (OGG, Opus, MP3, WAV, FLAC or M4A)");
            var level = p.TryGetValue("level", out var l) ? ReadNumber(l, "music.level", BrandMusic.MinLevel, BrandMusic.MaxLevel) : BrandMusic.DefaultLevel;
            var duck = p.TryGetValue("duck", out var d) ? ReadNumber(d, "music.duck", BrandMusic.MinDuck, BrandMusic.MaxDuck) : BrandMusic.DefaultDuck;
            return file is not null && level is { } lv && duck is { } dk ? new BrandMusic(file, lv, dk) : null;
        }

        private double? ReadNumber(JsonElement el, string field, double min, double max)
        {
            if (el.ValueKind == JsonValueKind.Number && el.TryGetDouble(out var v) && v >= min && v <= max) return v;
            Error(field, $"must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not {Shorten(el.GetRawText())}");
            return null;
        }

        /// <summary>A path inside the pack's folder: relative, no "..", a known extension. The store checks again when it
        /// serves it, but a pack that points outside itself is wrong whatever the store.</summary>
        private string? ReadFile(JsonElement el, string field, string[] extensions, string what)
        {
            if (el.ValueKind != JsonValueKind.String)
            {
                Error(field, $"must be the path of {what} inside the pack, not {Shorten(el.GetRawText())}");
                return null;
            }
            var path = el.GetString()!;
            if (path.Contains("://", StringComparison.Ordinal) || AssetUri.Problem(BrandPack.FileUri(name, path)) is not null
                || path.Split('/').Any(s => s is "" or "." or ".."))
            {
                Error(field, $"'{Shorten(path)}' must be a relative path inside the pack's folder (brands/{name}/), without '..'");
                return null;
            }
            if (!extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            {
                Error(field, $"'{Shorten(path)}' must be {what} ({string.Join(", ", extensions)})");
                return null;
            }
            return path;
        }

        private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "…";
    }
}
