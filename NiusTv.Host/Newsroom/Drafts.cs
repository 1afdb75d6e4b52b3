using System.Text.Json;
using NiusTv.Host.Node;
using NiusTv.Steps.Stories;

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
                catch (Exception e) when (e is JsonException or InvalidOperationException) { }
                return new DraftInfo(id, title, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero));
            })
            .OrderByDescending(d => d.SavedAt)
            .ToList();
    }

    /// <summary>Written to a temporary file of its own and renamed over the old one (an atomic replace), so a crash
    /// leaves the old draft or the new, and saves racing on one draft each land whole, the last one winning.</summary>
    public void Save(string id, JsonElement document)
    {
        Directory.CreateDirectory(Folder);
        var temp = Path.Combine(Folder, $".{id}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, JsonSerializer.Serialize(document, NodeHost.Json));
            File.Move(temp, PathOf(id), overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Every string in a draft (names and values) that could not be kept as text, by JSON path: a lone
    /// surrogate escape, or a control character other than newline and tab. A draft may be incomplete, not garbled.</summary>
    public static IReadOnlyList<StoryError> TextProblems(JsonElement document)
    {
        var errors = new List<StoryError>();
        Walk(document, "");
        return errors;

        void Walk(JsonElement e, string path)
        {
            if (errors.Count >= 20) return;
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        string name;
                        try { name = p.Name; }
                        catch (InvalidOperationException) { errors.Add(new StoryError(path, "a property name is not valid Unicode text (a lone surrogate escape)")); continue; }
                        var child = path.Length == 0 ? name : $"{path}.{name}";
                        if (StoryParser.ControlCharacterProblem(name) is { } c) errors.Add(new StoryError(child, "its name " + c));
                        Walk(p.Value, child);
                    }
                    break;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in e.EnumerateArray()) Walk(item, $"{path}[{i++}]");
                    break;
                case JsonValueKind.String:
                    string text;
                    try { text = e.GetString()!; }
                    catch (InvalidOperationException)
                    {
                        errors.Add(new StoryError(path, "is not valid Unicode text: it holds a lone surrogate escape (such as \\ud800) without its pair"));
                        break;
                    }
                    if (StoryParser.ControlCharacterProblem(text) is { } problem) errors.Add(new StoryError(path, problem));
                    break;
            }
        }
    }

    public bool Delete(string id)
    {
        if (!File.Exists(PathOf(id))) return false;
        File.Delete(PathOf(id));
        return true;
    }
}
