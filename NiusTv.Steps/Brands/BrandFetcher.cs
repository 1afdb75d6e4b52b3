using System.Text;
using NiusTv.Steps.Init;
using NiusTv.Steps.Storage;
using NiusTv.Steps.Tools;
using SkiaSharp;

namespace NiusTv.Steps.Brands;

/// <summary>What init accepts in a brand pack. Bounds keep a pack from filling the workspace or compose's memory.</summary>
public sealed record BrandLimits(long MaxFontBytes = 20L << 20, long MaxLogoBytes = 5L << 20, int MaxLogoSide = 4000, long MaxMusicBytes = 50L << 20,
    long MaxClipBytes = 200L << 20)
{
    public static readonly BrandLimits Default = new();

    public long MaxBytes(BrandFileKind kind) => kind switch
    {
        BrandFileKind.Font => MaxFontBytes,
        BrandFileKind.Logo => MaxLogoBytes,
        BrandFileKind.Clip => MaxClipBytes,
        _ => MaxMusicBytes,
    };
}

/// <summary>The init half of brand packs: brings <c>brands/&lt;name&gt;/brand.json</c> and every file it names from the asset
/// store into the workspace (<c>brand/…</c>) and proves each one usable — the font loads, the logo decodes, the music
/// decodes as audio — so a bad pack stops the story at init with a sentence naming the file and the field, not halfway
/// through an encode.</summary>
public sealed class BrandFetcher(IAssetStore store, BrandLimits? limits = null, string ffmpeg = "ffmpeg")
{
    private readonly BrandLimits _limits = limits ?? BrandLimits.Default;

    /// <summary>Copies and checks the pack; returns the artifacts (name → workspace path). The default brand needs nothing.</summary>
    public async Task<IReadOnlyDictionary<string, string>> BringInAsync(string name, string workspace, CancellationToken ct)
    {
        var artifacts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (name == BrandPack.DefaultName) return artifacts;

        var manifestUri = BrandPack.ManifestUri(name);
        var folder = Artifacts.BrandFiles.In(workspace);
        Directory.CreateDirectory(folder);
        var manifestPath = Artifacts.BrandManifest.In(workspace);
        var info = await StatAsync(manifestUri, $"the story's brand '{name}'", ct);
        if (info is null)
            throw StepFailure.Permanent($"the story's brand '{name}' does not exist: {manifestUri} was not found in the asset store ({store.Describe})");
        await CopyAsync(manifestUri, manifestPath, BrandParser.MaxManifestBytes, $"{manifestUri}", ct);

        string json;
        try { json = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(await File.ReadAllBytesAsync(manifestPath, ct)); }
        catch (DecoderFallbackException ex) { throw StepFailure.Permanent($"{manifestUri} is not valid UTF-8 text", ex); }
        var (pack, errors) = BrandParser.Parse(name, json);
        if (pack is null) throw StepFailure.Permanent(BrandParser.Describe(name, errors));
        artifacts[Artifacts.BrandManifest] = Artifacts.BrandManifest;

        foreach (var (field, relative, kind) in pack.Files())
        {
            var uri = BrandPack.FileUri(name, relative);
            var label = $"{uri} ({manifestUri}, {field})";
            var target = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var stat = await StatAsync(uri, label, ct)
                ?? throw StepFailure.Permanent($"{label} was not found in the asset store ({store.Describe})");
            var max = _limits.MaxBytes(kind);
            if (stat.Size > max) throw StepFailure.Permanent($"{label} is {stat.Size:N0} bytes; a brand {kind.ToString().ToLowerInvariant()} file may be at most {max:N0}");
            await CopyAsync(uri, target, max, label, ct);
            await CheckAsync(kind, target, label, ct);
            var file = Artifacts.BrandFile(relative);
            artifacts[file] = file;
        }
        return artifacts;
    }

    private async Task CheckAsync(BrandFileKind kind, string file, string label, CancellationToken ct)
    {
        switch (kind)
        {
            case BrandFileKind.Font:
                // SKTypeface returns null (no exception) for bytes that are not a font.
                using (var typeface = SKTypeface.FromFile(file))
                    if (typeface is null || typeface.GlyphCount == 0)
                        throw StepFailure.Permanent($"{label} is not a font that loads (expected a TrueType or OpenType file)");
                break;
            case BrandFileKind.Logo when file.EndsWith(".svg", StringComparison.OrdinalIgnoreCase):
                using (var svg = LogoRaster.OpenSvg(file, label)) { }
                break;
            case BrandFileKind.Logo:
                try
                {
                    var image = ImageInspector.Inspect(file, new ImageLimits(_limits.MaxLogoBytes, _limits.MaxLogoSide));
                    if (image.Format != "png") throw StepFailure.Permanent($"{label} is a {image.Format.ToUpperInvariant()} image; the logo must be a PNG");
                }
                catch (ImageRejectedException ex) { throw StepFailure.Permanent($"{label} {ex.Message}", ex); }
                break;
            case BrandFileKind.Music:
                await CheckAudioAsync(file, label, ct);
                break;
            case BrandFileKind.Clip:
                await CheckClipAsync(file, label, ct);
                break;
        }
    }

    /// <summary>A whole decode of the picture and (when there is one) the sound, and a length compose can join.</summary>
    private async Task CheckClipAsync(string file, string label, CancellationToken ct)
    {
        MediaProbe probe;
        try { probe = await MediaProbe.ProbeAsync(file, ct); }
        catch (InvalidDataException ex) { throw StepFailure.Permanent($"{label} does not decode as a video clip: {ex.Message}", ex); }
        if (probe.Video is null) throw StepFailure.Permanent($"{label} has no video stream; an intro or outro must be a video clip");
        var seconds = probe.Video.Duration ?? probe.FormatDuration;
        if (seconds is <= 0.04 or > BrandClips.MaxSeconds)
            throw StepFailure.Permanent($"{label} is {seconds:0.##} s long; an intro or outro may be up to {BrandClips.MaxSeconds:0} s");
        var result = await new ExternalTool(ffmpeg).RunAsync(
            ["-hide_banner", "-nostats", "-v", "error", "-xerror", "-i", file, "-f", "null", "-"], TimeSpan.FromMinutes(2), ct);
        if (result.ExitCode != 0)
        {
            var why = result.StderrTail.Trim();
            throw StepFailure.Permanent($"{label} does not decode as a video clip: {(why.Length > 300 ? why[^300..] : why)}");
        }
    }

    /// <summary>A full decode of the first audio stream: a truncated or mislabelled file fails here, not in the mix.</summary>
    private async Task CheckAudioAsync(string file, string label, CancellationToken ct)
    {
        var result = await new ExternalTool(ffmpeg).RunAsync(
            ["-hide_banner", "-nostats", "-v", "error", "-xerror", "-i", file, "-map", "0:a:0", "-f", "null", "-"], TimeSpan.FromMinutes(2), ct);
        if (result.ExitCode != 0)
        {
            var why = result.StderrTail.Trim();
            throw StepFailure.Permanent($"{label} does not decode as audio: {(why.Length > 300 ? why[^300..] : why)}");
        }
        var probe = await MediaProbe.ProbeAsync(file, ct);
        if ((probe.Audio?.Duration ?? probe.FormatDuration) < 0.5)
            throw StepFailure.Permanent($"{label} is shorter than half a second; a music bed is looped under the story and needs a few seconds at least");
        var loudness = await Compose.Loudness.MeasureAsync(ffmpeg, file, ct);
        if (double.IsNegativeInfinity(loudness.Integrated) || loudness.Integrated < -69)
            throw StepFailure.Permanent($"{label} is silent ({loudness}); a music bed needs audible music");
    }

    private async Task<AssetInfo?> StatAsync(string uri, string label, CancellationToken ct)
    {
        try { return await store.StatAsync(uri, ct); }
        catch (AssetRejectedException ex) { throw StepFailure.Permanent($"{label}: {ex.Message}", ex); }
        catch (UnauthorizedAccessException ex) { throw StepFailure.Permanent($"{label} cannot be read from the asset store ({store.Describe}): permission denied", ex); }
        catch (IOException ex) { throw StepFailure.Retryable($"{label}: the asset store ({store.Describe}) could not be asked about {uri}: {ex.Message}", ex); }
    }

    private async Task CopyAsync(string uri, string target, long max, string label, CancellationToken ct)
    {
        var temp = target + ".part";
        try
        {
            await using (var source = await store.OpenReadAsync(uri, ct))
            await using (var destination = File.Create(temp))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await source.ReadAsync(buffer, ct)) > 0)
                {
                    // The stat may be stale; the limit holds for what is really read.
                    if ((total += read) > max) throw StepFailure.Permanent($"{label} is larger than {max:N0} bytes, the limit for this file");
                    await destination.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (FileNotFoundException ex) { throw StepFailure.Permanent($"{label} was not found in the asset store ({store.Describe})", ex); }
        catch (AssetRejectedException ex) { throw StepFailure.Permanent($"{label}: {ex.Message}", ex); }
        catch (UnauthorizedAccessException ex) { throw StepFailure.Permanent($"{label} cannot be read from the asset store ({store.Describe}): permission denied", ex); }
        catch (IOException ex) { throw StepFailure.Retryable($"{label}: copying it from the asset store ({store.Describe}) failed: {ex.Message}", ex); }
        finally { if (File.Exists(temp)) File.Delete(temp); }
    }
}
