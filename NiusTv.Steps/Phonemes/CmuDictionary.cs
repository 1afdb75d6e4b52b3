using System.Security.Cryptography;
using System.Text;

namespace NiusTv.Steps.Phonemes;

/// <summary>A pronouncing dictionary in the CMU format that Debian's pocketsphinx-en-us ships
/// (<c>word PH PH …</c>, lowercase words, alternatives as <c>word(2)</c>, phones without stress).
/// Variants keep the file's order: the first is the one said by default.</summary>
public sealed class CmuDictionary
{
    /// <summary>Debian's copy (package pocketsphinx-en-us; TOOLCHAIN.md §3).</summary>
    public const string DebianPath = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";

    /// <summary>The 39 CMU phones without stress, the only ones the dictionary, the lexicon and the model use.</summary>
    public static readonly IReadOnlyList<string> PhoneSet =
    [
        "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH", "K",
        "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
    ];

    private static readonly HashSet<string> Phones = new(PhoneSet, StringComparer.Ordinal);

    public static bool IsPhone(string phone) => Phones.Contains(phone);

    private readonly Dictionary<string, List<IReadOnlyList<string>>> entries;

    private CmuDictionary(Dictionary<string, List<IReadOnlyList<string>>> entries, string source)
    {
        this.entries = entries;
        Source = source;
    }

    public string Source { get; }

    /// <summary>Distinct words (variants counted once).</summary>
    public int Count => entries.Count;

    public IEnumerable<string> Words => entries.Keys;

    /// <summary>Every variant of <paramref name="word"/> (already lowercase), or none.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Variants(string word) =>
        entries.TryGetValue(word, out var v) ? v : [];

    public IReadOnlyList<string>? First(string word) => entries.TryGetValue(word, out var v) ? v[0] : null;

    public static CmuDictionary Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no pronouncing dictionary there (Debian package pocketsphinx-en-us)", path);
        using var reader = File.OpenText(path);
        return Parse(reader, path);
    }

    /// <summary>Parses <c>word PH PH …</c> lines; a line with a phone outside <see cref="PhoneSet"/> (stress digits
    /// included) is an error naming <c>source:line</c> and the phone, so a wrong file is caught when it is loaded.</summary>
    public static CmuDictionary Parse(TextReader reader, string source)
    {
        var entries = new Dictionary<string, List<IReadOnlyList<string>>>(StringComparer.Ordinal);
        foreach (var (word, phones) in ParseLines(reader, source))
        {
            if (!entries.TryGetValue(word, out var list)) entries[word] = list = [];
            list.Add(phones);
        }
        return new CmuDictionary(entries, source);
    }

    /// <summary>The shared line grammar of the dictionary and the user lexicon. Blank lines and lines starting with
    /// <c>#</c> or <c>;;;</c> are comments. The word is lowercased and its <c>(n)</c> variant suffix removed.</summary>
    public static IEnumerable<(string Word, IReadOnlyList<string> Phones)> ParseLines(TextReader reader, string source)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#') || trimmed.StartsWith(";;;")) continue;
            var parts = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2)
                throw new InvalidDataException($"{source}:{number}: '{trimmed}' has a word but no phones (expected: word PH PH …)");
            var phones = new string[parts.Length - 1];
            for (var i = 1; i < parts.Length; i++)
            {
                var phone = parts[i].ToUpperInvariant();
                if (!Phones.Contains(phone))
                    throw new InvalidDataException($"{source}:{number}: '{parts[i]}' is not a CMU phone without stress " +
                        $"(word '{parts[0]}'; expected one of {string.Join(" ", PhoneSet)})");
                phones[i - 1] = phone;
            }
            yield return (BaseWord(parts[0].ToLowerInvariant()), phones);
        }
    }

    /// <summary><c>word(2)</c> → <c>word</c>.</summary>
    public static string BaseWord(string entry)
    {
        if (entry.Length > 3 && entry[^1] == ')')
        {
            var open = entry.LastIndexOf('(');
            if (open > 0 && open < entry.Length - 2 && entry.AsSpan(open + 1, entry.Length - open - 2).ToString().All(char.IsAsciiDigit)) return entry[..open];
        }
        return entry;
    }
}

/// <summary>Which part of the dictionary a word belongs to for the neural model: MD5 of the lowercase word (UTF-8,
/// without a variant suffix, so variants stay together), first byte mod 10: 0 test, 1 dev, otherwise train.
/// Anyone can rebuild the same split from the same dictionary.</summary>
public enum G2pSplit { Train, Dev, Test }

public static class G2pSplits
{
    public static G2pSplit Of(string word)
    {
        var first = MD5.HashData(Encoding.UTF8.GetBytes(CmuDictionary.BaseWord(word.ToLowerInvariant())))[0];
        return (first % 10) switch { 0 => G2pSplit.Test, 1 => G2pSplit.Dev, _ => G2pSplit.Train };
    }

    /// <summary>The words of one split with all their variants, in a stable (ordinal) order.</summary>
    public static List<(string Word, IReadOnlyList<IReadOnlyList<string>> Variants)> Select(CmuDictionary dictionary, G2pSplit split) =>
        dictionary.Words.Where(w => Of(w) == split).Order(StringComparer.Ordinal).Select(w => (w, dictionary.Variants(w))).ToList();
}
