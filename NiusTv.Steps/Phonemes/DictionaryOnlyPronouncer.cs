namespace NiusTv.Steps.Phonemes;

/// <summary>A stopgap <see cref="IPronouncer"/>: the CMU dictionary of pocketsphinx-en-us (TOOLCHAIN.md §3) and
/// nothing else. It stands in until the full pronouncer (user lexicon, dictionary, neural g2p model) lands, and
/// is to be replaced by it. A word the dictionary lacks is spelled out letter by letter from the dictionary's
/// letter names ("ruiz" → R, U, I, Z), so forced alignment still has phones to place; it is reported with
/// source <see cref="PronunciationSource.Dictionary"/> because that is where its phones came from.</summary>
public sealed class DictionaryOnlyPronouncer : IPronouncer
{
    public const string DefaultDictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";

    private readonly Dictionary<string, string[]> _entries;

    private DictionaryOnlyPronouncer(Dictionary<string, string[]> entries) => _entries = entries;

    public int Count => _entries.Count;

    /// <summary>Reads the dictionary once (about 0.2 s); share the instance across stories.</summary>
    public static DictionaryOnlyPronouncer Load(string path = DefaultDictionary)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"the CMU dictionary {path} is missing (apt-get install pocketsphinx-en-us)", path);
        var entries = new Dictionary<string, string[]>(140_000, StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // "word(2)" lines are variants; the first spelling is the common one.
            if (parts.Length < 2 || parts[0].EndsWith(')')) continue;
            entries.TryAdd(parts[0], parts[1..]);
        }
        if (entries.Count == 0) throw new InvalidDataException($"{path} holds no pronunciations");
        return new DictionaryOnlyPronouncer(entries);
    }

    public Pronunciation Pronounce(string word)
    {
        var w = word.ToLowerInvariant();
        if (_entries.TryGetValue(w, out var phones)) return new Pronunciation(w, phones, PronunciationSource.Dictionary);
        var spelled = new List<string>();
        foreach (var c in w)
            if (char.IsAsciiLetter(c) && _entries.TryGetValue(c.ToString(), out var letter)) spelled.AddRange(letter);
        return new Pronunciation(w, spelled, PronunciationSource.Dictionary);
    }
}
