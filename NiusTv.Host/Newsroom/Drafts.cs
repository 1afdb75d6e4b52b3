using System.Text.Json;
using NiusTv.Host.Node;

namespace NiusTv.Host.Newsroom;

/// <summary>Stories an editor saved without publishing: the editor's document as it stood, valid or not, in
/// <c>&lt;data&gt;/drafts/&lt;id&gt;.json</c>. Drafts never reach the journal: only publishing does.</summary>
public sealed class Drafts(NodeSettings settings)
{
    public const int MaxBytes = 1 << 20;

    private string Folder => Path.Combine(settings.DataPath, "drafts");

    private string PathOf(string id) => Path.Combine(Folder, id + ".json");

    public JsonElement? Get(string id) =>
        File.Exists(PathOf(id)) ? JsonDocument.Parse(File.ReadAllBytes(PathOf(id))).RootElement.Clone() : null;

    public sealed record DraftInfo(string Id, string? Title, DateTimeOffset SavedAt);

    public IReadOnlyList<DraftInfo> List()
    {
        if (!Directory.Exists(Folder)) return [];
        return Directory.EnumerateFiles(Folder, "*.json")
            .Select(f => new FileInfo(f))
            .Select(f =>
            {
                var id = Path.GetFileNameWithoutExtension(f.Name);
                string? title = null;
                try
                {
                    using var doc = JsonDocument.Parse(File.ReadAllBytes(f.FullName));
                    if (doc.RootElement.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String) title = t.GetString();
                }
                catch (JsonException) { }
                return new DraftInfo(id, title, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero));
            })
            .OrderByDescending(d => d.SavedAt)
            .ToList();
    }

    /// <summary>Written to a temporary file and moved over the old one, so a crash leaves the old draft or the new.</summary>
    public void Save(string id, JsonElement document)
    {
        Directory.CreateDirectory(Folder);
        var temp = PathOf(id) + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(document, NodeHost.Json));
        File.Move(temp, PathOf(id), overwrite: true);
    }

    public bool Delete(string id)
    {
        if (!File.Exists(PathOf(id))) return false;
        File.Delete(PathOf(id));
        return true;
    }
}
