using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
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
            try { ReadManifest(name); }
            catch (StepFailure e) { problems.Add(e.Message); }
        }
        if (problems.Count == 0 && Names.Count == 0) problems.Add($"the presenters folder {_root} holds no presenter (a folder with presenter.json)");
        return problems;
    }

    public PresenterReference Reference(string name)
    {
        var lazy = _references.GetOrAdd(name, n => new Lazy<PresenterReference>(() => Load(n), LazyThreadSafetyMode.ExecutionAndPublication));
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
        var (manifest, photo) = ReadManifest(name);
        return File.Exists(CachePath(manifest.Name, Sha256(photo)));
    }

    private PresenterReference Load(string name)
    {
        var (manifest, photo) = ReadManifest(name);
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
        if (string.IsNullOrWhiteSpace(manifest.Photo))
            throw StepFailure.Permanent($"presenter '{name}': {file} has no \"photo\"");
        if (manifest.Photo.Contains('/') || manifest.Photo.Contains('\\') || manifest.Photo.Contains(".."))
            throw StepFailure.Permanent($"presenter '{name}': \"photo\" in {file} must be a file name inside the presenter's folder, not '{manifest.Photo}'");
        var framing = manifest.Framing ?? new PresenterFraming();
        if (framing.FaceHeight is <= 0.05 or > 1.5)
            throw StepFailure.Permanent($"presenter '{name}': \"framing.faceHeight\" in {file} must be between 0.05 and 1.5, not {framing.FaceHeight}");
        if (framing.FaceCentreY is < 0 or > 1)
            throw StepFailure.Permanent($"presenter '{name}': \"framing.faceCentreY\" in {file} must be between 0 and 1, not {framing.FaceCentreY}");
        var photo = Path.Combine(folder, manifest.Photo);
        if (!File.Exists(photo)) throw StepFailure.Permanent($"presenter '{name}': the photo {photo} named in {file} is missing");
        return (manifest with { Name = name, Framing = framing }, photo);
    }

    private string CachePath(string name, string sha) => Path.Combine(_cacheDir, $"{name}-{sha[..16]}.json");

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
