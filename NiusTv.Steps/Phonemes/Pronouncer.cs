using NiusTv.Steps.Speech;

namespace NiusTv.Steps.Phonemes;

/// <summary>A user lexicon: pronunciations for names and words the dictionary lacks or says wrongly
/// ("ruiz R UW IY Z"), in the dictionary's line format. Loaded whole when the node starts, so a bad line is an error
/// naming <c>file:line</c> then, not a wrong phone mid-story.</summary>
public sealed class UserLexicon
{
    private readonly Dictionary<string, IReadOnlyList<string>> entries;

    private UserLexicon(Dictionary<string, IReadOnlyList<string>> entries) => this.entries = entries;

    public static readonly UserLexicon Empty = new(new Dictionary<string, IReadOnlyList<string>>());

    public int Count => entries.Count;

    public IReadOnlyList<string>? Find(string word) => entries.GetValueOrDefault(word);

    /// <summary>The lexicon as pronunciation entries, so the node's lexicon is said by the voices too and not only
    /// drawn by the mouth (the lowest layer, under the newsroom dictionary and the story's own entries).</summary>
    public PronunciationSet ToPronunciations() =>
        PronunciationSet.Parse(entries.Where(e => PronunciationSet.WordProblem(e.Key) is null)
            .Select(e => new KeyValuePair<string, string>(e.Key, string.Join(' ', e.Value))), "Phonemes:Lexicon").Set;

    /// <summary>A word folded to ASCII as the voices say it, unless folding leaves a space (a script with no Latin
    /// letters), when the word stays as written.</summary>
    private static string LexiconKey(string word) => SpeechText.ToAscii(word) is var folded && !folded.Contains(' ') && folded.Length > 0 ? folded : word;

    public static UserLexicon Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such lexicon file", path);
        using var reader = File.OpenText(path);
        return Parse(reader, path);
    }

    /// <summary>The first pronunciation given for a word is the one used (later <c>word(2)</c> lines are allowed
    /// but only the dictionary keeps variants).</summary>
    public static UserLexicon Parse(TextReader reader, string source)
    {
        var entries = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        // Keyed as the words it meets are (accents folded), so an entry written "café" is found for "café" and "cafe".
        foreach (var (word, phones) in CmuDictionary.ParseLines(reader, source)) entries.TryAdd(LexiconKey(word), phones);
        return new UserLexicon(entries);
    }
}

/// <summary>The node's <see cref="IPronouncer"/>: user lexicon, then the CMU dictionary, then the g2p model (the network,
/// weighed with the graphone model beside it when the model folder has one).
/// Words are looked up lowercase; a word the dictionary lacks but whose parts it has (hyphenated compounds,
/// possessives) is said from its parts before the model is asked, since the dictionary is more often right.</summary>
public sealed class Pronouncer(UserLexicon lexicon, CmuDictionary dictionary, G2pModel model) : IPronouncer
{
    public UserLexicon Lexicon { get; } = lexicon;
    public CmuDictionary Dictionary { get; } = dictionary;
    public G2pModel Model { get; } = model;

    public Pronunciation Pronounce(string word)
    {
        var key = Normalize(word);
        if (key.Length == 0) throw new ArgumentException($"'{word}' has no letters to pronounce", nameof(word));
        if (Lexicon.Find(key) is { } fromLexicon) return new Pronunciation(key, fromLexicon, PronunciationSource.Lexicon);
        if (Dictionary.First(key) is { } fromDictionary) return new Pronunciation(key, fromDictionary, PronunciationSource.Dictionary);
        if (FromParts(key) is { } parts) return parts;
        return new Pronunciation(key, Model.Predict(key), PronunciationSource.Model);
    }

    /// <summary>Lowercase; typographic apostrophes and dashes become the dictionary's ASCII ones; accented letters
    /// are folded as the voices fold them (<see cref="SpeechText.ToAscii"/>: "café" is said as "cafe", so it is looked
    /// up as "cafe"); apostrophes and hyphens at the ends (quotes, dangling dashes) go.</summary>
    public static string Normalize(string word)
    {
        var s = word.Trim().Replace('\u2010', '-').Replace('\u2011', '-');
        return SpeechText.ToAscii(s).Trim().ToLowerInvariant().Trim('\'', '-', '"');
    }

    /// <summary>"x-ray-like" → each part by the whole chain (lexicon, dictionary, model), joined; the source is the
    /// weakest of the parts'. Only when the word has a hyphen; a possessive the dictionary lacks is left to the model,
    /// which learned the dictionary's many possessives.</summary>
    private Pronunciation? FromParts(string key)
    {
        if (!key.Contains('-')) return null;
        var parts = key.Split('-', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) return null;
        var said = parts.Select(Pronounce).ToList();
        return new Pronunciation(key, said.SelectMany(p => p.Phones).ToList(), said.Max(p => p.Source));
    }
}

/// <summary>Where the shipped g2p model lives: <c>$NIUSTV_HOME/models/g2p</c>, else <c>models/g2p</c> beside the
/// executable (the build copies it there), else the first <c>models/g2p</c> above it (a repository checkout).</summary>
public static class G2pLocations
{
    public const string Relative = "models/g2p";

    public static string DefaultModelFolder()
    {
        if (Environment.GetEnvironmentVariable("NIUSTV_HOME") is { Length: > 0 } home) return Path.Combine(home, Relative);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, Relative);
            if (File.Exists(Path.Combine(candidate, G2pConfig.FileName))) return candidate;
        }
        return Path.Combine(Environment.CurrentDirectory, Relative);
    }
}
