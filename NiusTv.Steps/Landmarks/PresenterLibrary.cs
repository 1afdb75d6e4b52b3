using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using NiusTv.Steps.Render.Footage;
using SkiaSharp;

namespace NiusTv.Steps.Landmarks;

/// <summary>The presenter profiles of a node: folders <c>&lt;root&gt;/&lt;name&gt;/</c> with a
/// <c>presenter.json</c> and a reference photo. The reference face is found once per photo and cached in
/// <c>cacheDir</c> under the photo's SHA-256, so restarts and every later story reuse it, and an edited photo is
/// detected again.</summary>
public sealed class PresenterLibrary : IPresenterLibrary
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly string _root;
    private readonly string _cacheDir;
    private readonly Lazy<IFaceLandmarkDetector> _detector;
    private readonly ConcurrentDictionary<string, Lazy<PresenterReference>> _references = new(StringComparer.Ordinal);

    /// <param name="detector">Created on the first detection only (loading dlib's model takes ~0.8 s and 100 MB).</param>
    public PresenterLibrary(string root, string cacheDir, Func<IFaceLandmarkDetector> detector)
    {
        _root = Path.GetFullPath(root);
        _cacheDir = Path.GetFullPath(cacheDir);
        _detector = new Lazy<IFaceLandmarkDetector>(detector, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Root => _root;

    public IReadOnlyList<string> Names =>
        Directory.Exists(_root)
            ? Directory.GetDirectories(_root).Where(d => File.Exists(Path.Combine(d, "presenter.json")))
                .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Reads every profile's manifest and checks its photo exists, without detecting: for node start-up,
    /// so a broken profile is reported before any story needs it.</summary>
    public IReadOnlyList<string> Problems()
    {
        if (!Directory.Exists(_root)) return [$"the presenters folder {_root} does not exist"];
        var problems = new List<string>();
        foreach (var name in Names)
        {
            try
            {
                var (manifest, media) = ReadManifest(name);
                if (manifest.Clip is not null) CheckClip(name, manifest, media);
            }
            catch (StepFailure e) { problems.Add(e.Message); }
        }
        if (problems.Count == 0 && Names.Count == 0) problems.Add($"the presenters folder {_root} holds no presenter (a folder with presenter.json)");
        return problems;
    }

    public PresenterReference Reference(string name) => Reference(name, null);

    /// <summary>The presenter's own default voice (<c>"voice"</c> in presenter.json), or null: none, or no such presenter
    /// (the publish check reports that one).</summary>
    public string? VoiceOf(string name)
    {
        try { return Names.Contains(name, StringComparer.Ordinal) && ReadManifest(name).Manifest.Voice is { Length: > 0 } v ? v : null; }
        catch (StepFailure) { return null; }
    }

    /// <summary>The presenter's reference; for a clip presenter whose index is not cached yet, the index is built
    /// first (dlib on every frame), reporting frames done out of frames in the clip.</summary>
    public PresenterReference Reference(string name, IProgress<(int Done, int Total)>? indexProgress)
    {
        var lazy = _references.GetOrAdd(name, n => new Lazy<PresenterReference>(() => Load(n, indexProgress), LazyThreadSafetyMode.ExecutionAndPublication));
        try { return lazy.Value; }
        catch
        {
            // A failed load (say, the photo was missing) must not stick: the operator may fix the folder.
            _references.TryRemove(new KeyValuePair<string, Lazy<PresenterReference>>(name, lazy));
            throw;
        }
    }

    /// <summary>Whether a cached reference exists for the presenter's current photo (for status views and tests).</summary>
    public bool IsCached(string name)
    {
        var (manifest, media) = ReadManifest(name);
        return manifest.Clip is null ? File.Exists(CachePath(manifest.Name, Sha256(media)))
            : File.Exists(ClipCachePath(manifest, Sha256(media)) + ".index");
    }

    /// <summary>SHA-256 of the presenter's clip or photo as it is now (without loading or indexing it).</summary>
    public string MediaSha256(string name) => Sha256(ReadManifest(name).Photo);

    /// <summary>Whether the presenter is made from a clip (without loading it).</summary>
    public bool IsClip(string name) => ReadManifest(name).Manifest.Clip is not null;

    private PresenterReference Load(string name, IProgress<(int Done, int Total)>? indexProgress)
    {
        var (manifest, photo) = ReadManifest(name);
        if (manifest.Clip is not null) return LoadClip(name, manifest, photo, indexProgress);
        var sha = Sha256(photo);
        var cache = CachePath(name, sha);
        if (File.Exists(cache))
        {
            try
            {
                var cached = JsonSerializer.Deserialize<CachedFace>(File.ReadAllText(cache), Json);
                if (cached is { Face.Points.Length: 68 } && cached.PhotoSha256 == sha)
                    return new PresenterReference(name, photo, sha, cached.Width, cached.Height, cached.Face, manifest.Framing);
            }
            catch (JsonException) { /* a damaged cache entry is detected again below and overwritten */ }
        }

        using var bitmap = SKBitmap.Decode(photo)
            ?? throw StepFailure.Permanent($"presenter '{name}': the photo {photo} is not an image this node can decode");
        var rgb = ToRgb(bitmap);
        var faces = _detector.Value.Detect(rgb, bitmap.Width, bitmap.Height);
        if (faces.Count == 0)
            throw StepFailure.Permanent($"presenter '{name}': no face found in {photo}; use a frontal, well-lit portrait");
        var face = faces[0];
        Directory.CreateDirectory(_cacheDir);
        var temp = cache + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new CachedFace(sha, bitmap.Width, bitmap.Height, face), Json));
        File.Move(temp, cache, overwrite: true);
        return new PresenterReference(name, photo, sha, bitmap.Width, bitmap.Height, face, manifest.Framing);
    }

    private (PresenterManifest Manifest, string Photo) ReadManifest(string name)
    {
        if (name.Length == 0 || name.Length > 64 || !name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
            throw StepFailure.Permanent($"presenter '{name}': a presenter name is 1-64 lowercase letters, digits or '-'");
        var folder = Path.Combine(_root, name);
        var file = Path.Combine(folder, "presenter.json");
        if (!File.Exists(file))
            throw StepFailure.Permanent($"presenter '{name}' is unknown: there is no {file}" +
                (Names.Count > 0 ? $" (known: {string.Join(", ", Names)})" : ""));
        PresenterManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<PresenterManifest>(File.ReadAllText(file), Json); }
        catch (JsonException e) { throw StepFailure.Permanent($"presenter '{name}': {file} is not valid JSON: {e.Message}"); }
        if (manifest is null) throw StepFailure.Permanent($"presenter '{name}': {file} is empty");
        if (string.IsNullOrWhiteSpace(manifest.Photo) && string.IsNullOrWhiteSpace(manifest.Clip))
            throw StepFailure.Permanent($"presenter '{name}': {file} has neither a \"photo\" nor a \"clip\"");
        var field = string.IsNullOrWhiteSpace(manifest.Clip) ? "photo" : "clip";
        var mediaName = field == "clip" ? manifest.Clip! : manifest.Photo!;
        foreach (var (f, value) in new[] { (field, mediaName), ("backdrop", manifest.Backdrop) })
            if (value is not null && (value.Contains('/') || value.Contains('\\') || value.Contains("..")))
                throw StepFailure.Permanent($"presenter '{name}': \"{f}\" in {file} must be a file name inside the presenter's folder, not '{value}'");
        var framing = manifest.Framing ?? new PresenterFraming();
        if (framing.FaceHeight is <= 0.05 or > 1.5)
            throw StepFailure.Permanent($"presenter '{name}': \"framing.faceHeight\" in {file} must be between 0.05 and 1.5, not {framing.FaceHeight}");
        if (framing.FaceCentreY is < 0 or > 1)
            throw StepFailure.Permanent($"presenter '{name}': \"framing.faceCentreY\" in {file} must be between 0 and 1, not {framing.FaceCentreY}");
        var photo = Path.Combine(folder, mediaName);
        if (!File.Exists(photo)) throw StepFailure.Permanent($"presenter '{name}': the {field} {photo} named in {file} is missing");
        if (field == "clip")
        {
            if (manifest.Key is not null && ChromaKeySpec.TryParse(manifest.Key, manifest.KeyTolerance, out var keyError) is null)
                throw StepFailure.Permanent($"presenter '{name}': \"key\" in {file}: {keyError}");
            if (manifest.Backdrop is not null && !File.Exists(Path.Combine(folder, manifest.Backdrop)))
                throw StepFailure.Permanent($"presenter '{name}': the backdrop {Path.Combine(folder, manifest.Backdrop)} named in {file} is missing");
            if (manifest.Use is { } use && (use.From < 0 || use.To is { } to && to <= use.From))
                throw StepFailure.Permanent($"presenter '{name}': \"use\" in {file} must have 0 ≤ from < to, not from {use.From} to {use.To}");
        }
        return (manifest with { Name = name, Framing = framing }, photo);
    }

    private string CachePath(string name, string sha) => Path.Combine(_cacheDir, $"{name}-{sha[..16]}.json");

    /// <summary>Index and reference frame of a clip, by its content and the range used (without the extension).</summary>
    private string ClipCachePath(PresenterManifest manifest, string sha)
    {
        var use = manifest.Use ?? new ClipRange();
        var range = FormattableString.Invariant($"{use.From:0.###}-{(use.To is { } t ? t.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "end")}");
        return Path.Combine(_cacheDir, $"clip-{sha[..16]}-{range}");
    }

    private static ClipVideoInfo ProbeClip(string name, string clip)
    {
        try { return ClipVideo.Probe(clip); }
        catch (InvalidDataException e)
        {
            throw StepFailure.Permanent($"presenter '{name}': the clip {clip} is not a video this node can decode ({e.Message})", e);
        }
    }

    /// <summary>Start-up check of a clip presenter: the clip must be a video ffprobe reads, and a cached index must
    /// have found faces (the index itself is built on first use).</summary>
    private void CheckClip(string name, PresenterManifest manifest, string clip)
    {
        ProbeClip(name, clip);
        var index = ClipIndex.TryLoad(ClipCachePath(manifest, Sha256(clip)) + ".index", Sha256(clip));
        if (index is not null) EnsureFaces(name, clip, new ClipAnalysis(index));
    }

    private static void EnsureFaces(string name, string clip, ClipAnalysis analysis)
    {
        if (analysis.Candidates.Length < Math.Min(25, analysis.Index.Count) || analysis.Candidates.Length == 0)
            throw StepFailure.Permanent($"presenter '{name}': no usable face in the clip {clip} (a face in {analysis.Index.FacesFound} " +
                $"of {analysis.Index.Count} frames); use a clip of a frontal, well-lit face that talks");
    }

    private PresenterReference LoadClip(string name, PresenterManifest manifest, string clip, IProgress<(int Done, int Total)>? progress)
    {
        var sha = Sha256(clip);
        var info = ProbeClip(name, clip);
        var cache = ClipCachePath(manifest, sha);
        var use = manifest.Use ?? new ClipRange();
        var index = ClipIndex.TryLoad(cache + ".index", sha);
        if (index is null)
        {
            try { index = ClipIndex.Build(clip, sha, info, use.From, use.To, _detector.Value, progress); }
            catch (InvalidDataException e)
            {
                throw StepFailure.Permanent($"presenter '{name}': the clip {clip} is not a video this node can decode ({e.Message})", e);
            }
            var analysisFirst = new ClipAnalysis(index);
            EnsureFaces(name, clip, analysisFirst);
            Directory.CreateDirectory(_cacheDir);
            index.Save(cache + ".index");
        }
        var analysis = new ClipAnalysis(index);
        EnsureFaces(name, clip, analysis);
        var still = cache + ".png";
        if (!File.Exists(still)) SaveStill(clip, info, index.From + analysis.ReferenceFrame / index.Fps, still);
        var f = index.Faces[analysis.ReferenceFrame]!;
        var points = new float[68][];
        for (int i = 0; i < 68; i++) points[i] = [f[2 * i], f[2 * i + 1]];
        var box = new FaceBox((int)points.Min(p => p[0]), (int)points.Min(p => p[1]), (int)Math.Ceiling(points.Max(p => p[0])),
            (int)Math.Ceiling(points.Max(p => p[1])));
        var folder = Path.GetDirectoryName(clip)!;
        var key = manifest.Key is null ? null : ChromaKeySpec.TryParse(manifest.Key, manifest.KeyTolerance, out _);
        var backdrop = manifest.Backdrop is null ? null : Path.Combine(folder, manifest.Backdrop);
        return new PresenterReference(name, still, sha, index.Width, index.Height, new DetectedFace(box, points), manifest.Framing)
        {
            Clip = new ClipPresenter(clip, sha, info, analysis, key, backdrop),
        };
    }

    /// <summary>The reference frame as a PNG, the "photo" of a clip presenter for renderers that draw a photo.</summary>
    private static void SaveStill(string clip, ClipVideoInfo info, double at, string path)
    {
        byte[]? frame = null;
        ClipVideo.Decode(clip, info, at, null, (_, rgb) => { frame = rgb.ToArray(); return false; });
        if (frame is null) return;
        using var bitmap = new SKBitmap(new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        unsafe
        {
            var dst = (byte*)bitmap.GetPixels();
            for (int i = 0, j = 0; i < frame.Length; i += 3, j += 4)
            {
                dst[j] = frame[i]; dst[j + 1] = frame[i + 1]; dst[j + 2] = frame[i + 2]; dst[j + 3] = 255;
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var stream = File.Create(temp)) data.SaveTo(stream);
        File.Move(temp, path, overwrite: true);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Packed RGB rows, the layout libfacelm reads.</summary>
    public static byte[] ToRgb(SKBitmap bitmap)
    {
        using var rgba = bitmap.ColorType == SKColorType.Rgba8888 && bitmap.AlphaType != SKAlphaType.Premul
            ? null : new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var source = bitmap;
        if (rgba is not null)
        {
            if (!bitmap.CopyTo(rgba, SKColorType.Rgba8888)) throw new InvalidDataException("the photo's pixels cannot be converted to RGB");
            source = rgba;
        }
        var pixels = source.GetPixelSpan();
        var rgb = new byte[bitmap.Width * bitmap.Height * 3];
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = pixels[i];
            rgb[j + 1] = pixels[i + 1];
            rgb[j + 2] = pixels[i + 2];
        }
        return rgb;
    }

    private sealed record CachedFace(string PhotoSha256, int Width, int Height, DetectedFace Face);
}
