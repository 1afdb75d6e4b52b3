using System.Text.Json;
using NiusTv.Steps.Stories;

namespace NiusTv.Steps.Phonemes;

/// <summary>The newsroom-wide pronunciation dictionary: <c>&lt;data&gt;/pronunciations.json</c>, one JSON object of
/// word → spelling (CMU phones or a respelling), applied to every story; a story's own entries win over it. Read at
/// each use (cached by the file's time and size), so an edit in the newsroom reaches the next story without a restart.
/// Written whole to a temporary file and renamed, so readers see the old or the new file, never half of one.</summary>
public sealed class PronunciationDictionary(string path)
{
    public const string FileName = "pronunciations.json";

    private readonly Lock _gate = new();
    private (DateTime Time, long Length, PronunciationSet Set)? _cache;

    public string Path { get; } = path;

    public static PronunciationDictionary InDataFolder(string dataFolder) => new(System.IO.Path.Combine(dataFolder, FileName));

    /// <summary>The entries. A file damaged by hand is an <see cref="InvalidDataException"/> naming the file and the
    /// entry, not a silently empty dictionary.</summary>
    public PronunciationSet Load()
    {
        lock (_gate)
        {
            var info = new FileInfo(Path);
            if (!info.Exists) return PronunciationSet.Empty;
            if (_cache is { } c && c.Time == info.LastWriteTimeUtc && c.Length == info.Length) return c.Set;
            var set = Parse(File.ReadAllText(Path));
            _cache = (info.LastWriteTimeUtc, info.Length, set);
            return set;
        }
    }

    private PronunciationSet Parse(string json)
    {
        Dictionary<string, string>? pairs;
        try { pairs = JsonSerializer.Deserialize<Dictionary<string, string>>(json); }
        catch (JsonException e) { throw new InvalidDataException($"{Path} is not a JSON object of word → pronunciation: {e.Message}", e); }
        var (set, errors) = PronunciationSet.Parse(pairs ?? [], "pronunciations");
        if (errors.Count > 0) throw new InvalidDataException($"{Path}: {string.Join("; ", errors)}");
        return set;
    }

    /// <summary>Adds or replaces one word's entry; errors name the entry and the bad phone, and change nothing.</summary>
    public IReadOnlyList<StoryError> Set(string word, string spelling)
    {
        lock (_gate)
        {
            var (one, errors) = PronunciationSet.Parse([new(word, spelling)], "pronunciations");
            if (errors.Count > 0) return errors;
            var entry = one.Entries[0];
            var pairs = Load().Entries.Where(e => e.Key != entry.Key).Select(e => (e.Word, e.Spelling)).Append((entry.Word, entry.Spelling));
            Write(pairs);
            return [];
        }
    }

    /// <summary>Removes a word's entry; false when there was none.</summary>
    public bool Remove(string word)
    {
        lock (_gate)
        {
            var set = Load();
            if (set.Find(word) is not { } entry) return false;
            Write(set.Entries.Where(e => e.Key != entry.Key).Select(e => (e.Word, e.Spelling)));
            return true;
        }
    }

    private void Write(IEnumerable<(string Word, string Spelling)> pairs)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        Directory.CreateDirectory(folder);
        var temp = System.IO.Path.Combine(folder, $".{FileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            var ordered = pairs.OrderBy(p => PronunciationSet.KeyOf(p.Word), StringComparer.Ordinal).ToDictionary(p => p.Word, p => p.Spelling);
            File.WriteAllText(temp, JsonSerializer.Serialize(ordered, new JsonSerializerOptions
            {
                WriteIndented = true,
                Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }));
            File.Move(temp, Path, overwrite: true);
            _cache = null;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
