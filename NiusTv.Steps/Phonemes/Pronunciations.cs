using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;

namespace NiusTv.Steps.Phonemes;

/// <summary>One editor's pronunciation: how <see cref="Word"/> is to be said, as the editor wrote it
/// (<see cref="Spelling"/>: CMU phones such as "R UW IY S", or a respelling such as "roo-EES") and as phones.</summary>
/// <param name="Phones">CMU phones; vowels carry a stress digit (1 primary, 2 secondary, 0 none). Where the editor gave
/// no stress at all, every vowel is stressed (1): a name is better said clearly than reduced.</param>
public sealed record PronunciationEntry(string Word, string Spelling, IReadOnlyList<string> Phones)
{
    /// <summary>The lookup key: ASCII, lowercase (what the dictionary and Festival's lexicon compare).</summary>
    public string Key => PronunciationSet.KeyOf(Word);

    /// <summary>The phones without stress, the phone set of <c>phones.json</c>.</summary>
    public IReadOnlyList<string> PlainPhones => Phones.Select(p => p.TrimEnd('0', '1', '2')).ToList();
}

/// <summary>Pronunciations for one utterance: a story's own entries over the newsroom dictionary's. Every speech
/// backend says them (Festival through lexicon entries, espeak-ng through phoneme input, Tacotron2 through ARPAbet in
/// braces) and the phonemes step aligns them, so speech and lips agree.</summary>
public sealed partial class PronunciationSet
{
    public const int MaxEntries = 500;
    public const int MaxSpellingChars = 200;
    public const int MaxWordChars = 64;

    private readonly Dictionary<string, PronunciationEntry> _entries;

    private PronunciationSet(Dictionary<string, PronunciationEntry> entries) => _entries = entries;

    public static readonly PronunciationSet Empty = new(new Dictionary<string, PronunciationEntry>(StringComparer.Ordinal));

    public int Count => _entries.Count;

    /// <summary>The entries ordered by key.</summary>
    public IReadOnlyList<PronunciationEntry> Entries => _entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Value).ToList();

    /// <summary>The entry for a word, or for its possessive ("Ruiz's" from "Ruiz": the entry's phones and the ending
    /// English gives them, IH Z after a sibilant, S after another voiceless consonant, Z otherwise).</summary>
    public PronunciationEntry? Find(string word)
    {
        var key = KeyOf(word).Replace('\u2019', '\'');
        if (key.Length == 0) return null;
        if (_entries.TryGetValue(key, out var entry)) return entry;
        return key.EndsWith("'s", StringComparison.Ordinal) && _entries.TryGetValue(key[..^2], out var stem) ? Possessive(stem) : null;
    }

    /// <summary>The possessive form of an entry (for Festival, which looks "ruiz's" up as a word of its own).</summary>
    public static PronunciationEntry Possessive(PronunciationEntry entry)
    {
        var last = entry.Phones[^1];
        string[] ending = last is "S" or "Z" or "SH" or "ZH" or "CH" or "JH" ? ["IH0", "Z"] : last is "P" or "T" or "K" or "F" or "TH" ? ["S"] : ["Z"];
        return new PronunciationEntry(entry.Word + "'s", entry.Spelling + " +'s", [.. entry.Phones, .. ending]);
    }

    /// <summary>ASCII (accents dropped, as every voice reads the text), lowercase, typographic apostrophes made plain.</summary>
    public static string KeyOf(string word) => SpeechText.ToAscii(word.Trim()).Trim().ToLowerInvariant();

    /// <summary>This set's entries, and <paramref name="under"/>'s for words this set does not have.</summary>
    public PronunciationSet Over(PronunciationSet under)
    {
        var merged = new Dictionary<string, PronunciationEntry>(under._entries, StringComparer.Ordinal);
        foreach (var (key, entry) in _entries) merged[key] = entry;
        return new PronunciationSet(merged);
    }

    /// <summary>Reads word → spelling pairs. Every bad entry is an error whose field is
    /// <c><paramref name="field"/>.WORD</c> and whose message names the bad phone or letters.</summary>
    public static (PronunciationSet Set, IReadOnlyList<StoryError> Errors) Parse(IEnumerable<KeyValuePair<string, string>> pairs, string field)
    {
        var errors = new List<StoryError>();
        var entries = new Dictionary<string, PronunciationEntry>(StringComparer.Ordinal);
        var count = 0;
        foreach (var (word, spelling) in pairs)
        {
            if (++count > MaxEntries)
            {
                errors.Add(new StoryError(field, $"holds more than {MaxEntries} entries"));
                break;
            }
            var where = $"{field}.{word}";
            if (WordProblem(word) is { } wordProblem) { errors.Add(new StoryError(where, wordProblem)); continue; }
            if (PronunciationSpelling.Parse(spelling, out var problem) is not { } phones) { errors.Add(new StoryError(where, problem!)); continue; }
            var entry = new PronunciationEntry(word.Trim(), spelling.Trim(), phones);
            if (!entries.TryAdd(entry.Key, entry))
                errors.Add(new StoryError(where, $"is the same word as '{entries[entry.Key].Word}' (words are compared without case and accents)"));
        }
        return (new PronunciationSet(entries), errors);
    }

    /// <summary>Why <paramref name="word"/> cannot be an entry, or null. An entry is one word as the script spells it:
    /// letters, with apostrophes inside ("O'Neill"); the text is split at spaces and hyphens before words are looked up.</summary>
    public static string? WordProblem(string word)
    {
        var trimmed = word.Trim();
        if (trimmed.Length == 0) return "the word is empty";
        if (trimmed.Length > MaxWordChars) return $"the word is {trimmed.Length} characters long; the limit is {MaxWordChars}";
        if (!WordPattern().IsMatch(KeyOf(trimmed)))
            return $"'{trimmed}' is not one word: use letters only (an apostrophe inside is allowed), one entry per word";
        return null;
    }

    [GeneratedRegex(@"^[a-z]+(?:'[a-z]+)*\z")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\p{L}[\p{L}\p{M}]*(?:['\u2019]\p{L}[\p{L}\p{M}]*)*")]
    private static partial Regex TextWord();

    /// <summary>The text with every word that has an entry replaced by <paramref name="render"/>'s form of it (a
    /// backend's phoneme input); the replaced words in order go to <paramref name="replaced"/>.</summary>
    public string Substitute(string text, Func<PronunciationEntry, string> render, List<string>? replaced = null)
    {
        if (_entries.Count == 0) return text;
        return TextWord().Replace(text, m =>
        {
            if (Find(m.Value) is not { } entry) return m.Value;
            replaced?.Add(m.Value);
            return render(entry);
        });
    }

    /// <summary>The set as the speech step leaves it in the workspace, for the phonemes step: what was said is what
    /// is aligned, even if the newsroom dictionary changes in between.</summary>
    public string ToJson() => JsonSerializer.Serialize(Entries.Select(e => new StoredEntry(e.Word, e.Spelling, e.Phones)).ToList(), StoredJson);

    public static PronunciationSet FromJson(string json)
    {
        var stored = JsonSerializer.Deserialize<List<StoredEntry>>(json, StoredJson) ?? [];
        var (set, errors) = Parse(stored.Select(s => new KeyValuePair<string, string>(s.Word, string.Join(' ', s.Phones))), "pronunciations");
        if (errors.Count > 0) throw new InvalidDataException(string.Join("; ", errors));
        // Keep the editor's spelling for display; the phones are the same.
        return new PronunciationSet(stored.Select(s => new PronunciationEntry(s.Word, s.Spelling, set.Find(s.Word)!.Phones))
            .ToDictionary(e => e.Key, StringComparer.Ordinal));
    }

    private sealed record StoredEntry(string Word, string Spelling, IReadOnlyList<string> Phones);
    private static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>espeak-ng's phoneme input for an entry: <c>[[r'u:'i:s]]</c> (its English mnemonics, stress marks before
    /// stressed vowels).</summary>
    public static string ToEspeak(PronunciationEntry entry)
    {
        var sb = new StringBuilder("[[");
        foreach (var phone in entry.Phones)
        {
            var plain = phone.TrimEnd('0', '1', '2');
            var stress = phone.Length > plain.Length ? phone[^1] : ' ';
            if (stress == '1') sb.Append('\'');
            else if (stress == '2') sb.Append(',');
            sb.Append(plain switch
            {
                "AH" => stress == '0' ? "@" : "V",
                _ => EspeakPhones[plain],
            });
        }
        return sb.Append("]]").ToString();
    }

    private static readonly Dictionary<string, string> EspeakPhones = new(StringComparer.Ordinal)
    {
        ["AA"] = "A:", ["AE"] = "a", ["AO"] = "O:", ["AW"] = "aU", ["AY"] = "aI", ["B"] = "b", ["CH"] = "tS", ["D"] = "d",
        ["DH"] = "D", ["EH"] = "E", ["ER"] = "3:", ["EY"] = "eI", ["F"] = "f", ["G"] = "g", ["HH"] = "h", ["IH"] = "I",
        ["IY"] = "i:", ["JH"] = "dZ", ["K"] = "k", ["L"] = "l", ["M"] = "m", ["N"] = "n", ["NG"] = "N", ["OW"] = "oU",
        ["OY"] = "OI", ["P"] = "p", ["R"] = "r", ["S"] = "s", ["SH"] = "S", ["T"] = "t", ["TH"] = "T", ["UH"] = "U",
        ["UW"] = "u:", ["V"] = "v", ["W"] = "w", ["Y"] = "j", ["Z"] = "z", ["ZH"] = "Z",
    };

    /// <summary>Tacotron2's ARPAbet for an entry, which NVIDIA's front end passes through: <c>{R UW1 IY1 S}</c>.</summary>
    public static string ToArpabet(PronunciationEntry entry) => "{" + string.Join(' ', entry.Phones) + "}";

    /// <summary>A Festival lexicon entry (Scheme) for an entry, syllabified by Festival itself:
    /// <c>(lex.add.entry (list "ruiz" nil (lex.syllabify.phstress '(r uw1 iy1 s))))</c>.</summary>
    public static string ToFestival(PronunciationEntry entry) =>
        $"(lex.add.entry (list \"{entry.Key.Replace("\\", "").Replace("\"", "")}\" nil (lex.syllabify.phstress '({string.Join(' ', entry.Phones.Select(p => p.ToLowerInvariant()))}))))";
}

/// <summary>How an editor writes a pronunciation: CMU phones ("R UW IY S", stress digits allowed: "R UW0 IY1 S"), or a
/// respelling ("roo-EES": syllables split by hyphens, the stressed one in capitals) turned into phones by
/// <see cref="Respelling"/>.</summary>
public static partial class PronunciationSpelling
{
    public static readonly IReadOnlySet<string> Vowels = new HashSet<string>(StringComparer.Ordinal)
        { "AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW" };

    /// <summary>Phones (vowels with stress) or null with the reason, which names the bad phone or letters.</summary>
    public static IReadOnlyList<string>? Parse(string? spelling, out string? problem)
    {
        problem = null;
        var text = spelling?.Trim() ?? "";
        if (text.Length == 0) { problem = "the pronunciation is empty; give CMU phones (\"R UW IY S\") or a respelling (\"roo-EES\")"; return null; }
        if (text.Length > PronunciationSet.MaxSpellingChars) { problem = $"the pronunciation is {text.Length} characters long; the limit is {PronunciationSet.MaxSpellingChars}"; return null; }
        return IsPhones(text) ? ParsePhones(text, out problem) : Respelling.ToPhones(text, out problem);
    }

    /// <summary>Phones when the text is upper case tokens (with stress digits) and either several of them or one CMU
    /// phone, or lower case tokens that are all CMU phones ("r uw iy s"); anything else ("roo-EES", "NAY") is a
    /// respelling.</summary>
    public static bool IsPhones(string text)
    {
        var tokens = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.All(t => PhoneToken().IsMatch(t)))
            return tokens.Length > 1 || CmuPhones.All.Contains(tokens[0].TrimEnd('0', '1', '2'));
        return tokens.Length > 1 && tokens.All(t => CmuPhones.All.Contains(t.TrimEnd('0', '1', '2').ToUpperInvariant()));
    }

    [GeneratedRegex(@"^[A-Z]+[0-2]?\z")]
    private static partial Regex PhoneToken();

    private static IReadOnlyList<string>? ParsePhones(string text, out string? problem)
    {
        problem = null;
        var phones = new List<string>();
        foreach (var token in text.ToUpperInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var plain = token.TrimEnd('0', '1', '2');
            if (!CmuPhones.All.Contains(plain))
            {
                problem = $"'{token}' is not a CMU phone; use {string.Join(" ", CmuPhones.All.Order(StringComparer.Ordinal))}";
                return null;
            }
            if (plain.Length != token.Length && !Vowels.Contains(plain))
            {
                problem = $"'{token}': only vowels carry stress digits, and {plain} is a consonant";
                return null;
            }
            phones.Add(token);
        }
        return WithStress(phones, out problem);
    }

    /// <summary>Vowels without a digit get 0 when the editor stressed some vowel, else all get 1.</summary>
    internal static IReadOnlyList<string>? WithStress(IReadOnlyList<string> phones, out string? problem)
    {
        problem = null;
        if (!phones.Any(p => Vowels.Contains(p.TrimEnd('0', '1', '2'))))
        {
            problem = $"'{string.Join(' ', phones)}' has no vowel; every word needs at least one ({string.Join(" ", Vowels.Order(StringComparer.Ordinal))})";
            return null;
        }
        var anyStress = phones.Any(p => p[^1] is '0' or '1' or '2');
        return phones.Select(p => Vowels.Contains(p) ? p + (anyStress ? "0" : "1") : p).ToList();
    }
}

/// <summary>Newsroom respelling ("roo-EES", "SHEV-ron", "kah-MAH-lah") to CMU phones. Syllables are split by hyphens
/// or spaces; a syllable in capitals is stressed. Letters are read by the longest match in a small table that follows the
/// respelling keys newsrooms use: ee = IY, oo = UW, ah = AA, ay = EY, eye/igh = AY, oh = OW, ow = AW, oy = OY, aw = AO,
/// uh = AH, a = AE, e = EH, i = IH, o = AA, u = AH, er/ur/ir = ER, ar = AA R, or = AO R, air = EH R; ch, sh, th, dh, zh,
/// ng, j = JH, g = G (always hard), y = Y before a vowel, kh = K, x = K S, c/ck/q = K, ph = F, h = HH.</summary>
public static class Respelling
{
    private static readonly (string Letters, string[] Phones)[] Table = Build(
        ("air", "EH R"), ("eer", "IH R"), ("ear", "IH R"), ("igh", "AY"), ("eye", "AY"), ("tch", "CH"),
        ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ew", "Y UW"), ("ah", "AA"), ("ay", "EY"), ("ai", "EY"), ("oh", "OW"), ("oa", "OW"),
        ("ow", "AW"), ("ou", "AW"), ("oy", "OY"), ("oi", "OY"), ("aw", "AO"), ("au", "AO"), ("uh", "AH"), ("uu", "UH"),
        ("er", "ER"), ("ur", "ER"), ("ir", "ER"), ("ar", "AA R"), ("or", "AO R"),
        ("ch", "CH"), ("sh", "SH"), ("th", "TH"), ("dh", "DH"), ("zh", "ZH"), ("ng", "NG"), ("kh", "K"), ("ph", "F"), ("wh", "W"), ("ck", "K"),
        ("a", "AE"), ("e", "EH"), ("i", "IH"), ("o", "AA"), ("u", "AH"),
        ("b", "B"), ("c", "K"), ("d", "D"), ("f", "F"), ("g", "G"), ("h", "HH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"),
        ("n", "N"), ("p", "P"), ("q", "K"), ("r", "R"), ("s", "S"), ("t", "T"), ("v", "V"), ("w", "W"), ("x", "K S"), ("z", "Z"));

    private static (string, string[])[] Build(params (string Letters, string Phones)[] rows) =>
        rows.Select(r => (r.Letters, r.Phones.Split(' '))).OrderByDescending(r => r.Letters.Length).ToArray();

    public static IReadOnlyList<string>? ToPhones(string respelling, out string? problem)
    {
        problem = null;
        var syllables = respelling.Split([' ', '-', '\u2010', '\u2011'], StringSplitOptions.RemoveEmptyEntries);
        if (syllables.Length == 0) { problem = "the respelling has no syllables"; return null; }
        var anyCapital = syllables.Any(IsCapital);
        var phones = new List<string>();
        foreach (var syllable in syllables)
        {
            if (syllable.FirstOrDefault(c => !(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '\'')) is var bad and not '\0')
            {
                problem = $"the respelling '{respelling}' has '{bad}' in the syllable '{syllable}'; write syllables of plain letters split by hyphens (\"roo-EES\"), or give CMU phones (\"R UW IY S\")";
                return null;
            }
            var stress = anyCapital ? (IsCapital(syllable) ? "1" : "0") : "1";
            var letters = syllable.ToLowerInvariant().Replace("'", "");
            var said = new List<string>();
            for (var i = 0; i < letters.Length;)
            {
                // y is a consonant before a vowel letter ("yah"), otherwise the vowel of "eye" ("my").
                if (letters[i] == 'y')
                {
                    said.Add(i + 1 < letters.Length && "aeiou".Contains(letters[i + 1]) ? "Y" : "AY");
                    i++;
                    continue;
                }
                var (match, ph) = Table.First(r => string.CompareOrdinal(letters, i, r.Letters, 0, r.Letters.Length) == 0);
                // A doubled consonant is one sound ("ss", "ll").
                foreach (var p in ph)
                    if (said.Count == 0 || said[^1] != p || PronunciationSpelling.Vowels.Contains(p)) said.Add(p);
                i += match.Length;
            }
            if (!said.Any(PronunciationSpelling.Vowels.Contains))
            {
                problem = $"the syllable '{syllable}' of the respelling '{respelling}' has no vowel";
                return null;
            }
            phones.AddRange(said.Select(p => PronunciationSpelling.Vowels.Contains(p) ? p + stress : p));
        }
        return phones;
    }

    private static bool IsCapital(string syllable) => syllable.Any(char.IsUpper) && !syllable.Any(char.IsLower);
}

/// <summary>The node's pronouncer with an utterance's entries in front: what the phonemes step aligns when the
/// synthesizer gave no phones of its own (espeak-ng, Tacotron2).</summary>
public sealed class PronouncerWithEntries(IPronouncer inner, PronunciationSet entries) : IPronouncer
{
    public Pronunciation Pronounce(string word) =>
        entries.Find(word) is { } entry ? new Pronunciation(Pronouncer.Normalize(word), entry.PlainPhones, PronunciationSource.Lexicon)
        : inner.Pronounce(word);
}
