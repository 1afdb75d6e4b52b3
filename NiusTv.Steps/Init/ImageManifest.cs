using System.Text.Json;

namespace NiusTv.Steps.Init;

/// <summary><see cref="Artifacts.ImageManifest"/> in the workspace, written by init: the validated images in story order.</summary>
public sealed record ImageManifest(IReadOnlyList<ImageManifestEntry> Images)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static ImageManifest Load(string path) =>
        JsonSerializer.Deserialize<ImageManifest>(File.ReadAllText(path), Json) ?? new ImageManifest([]);

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}

/// <param name="File">Path relative to the workspace, e.g. <c>images/00.jpg</c>.</param>
/// <param name="Format">jpeg, png or webp.</param>
public sealed record ImageManifestEntry(int Index, string File, string Uri, int Width, int Height, string Format, string? Caption, int Paragraph);
