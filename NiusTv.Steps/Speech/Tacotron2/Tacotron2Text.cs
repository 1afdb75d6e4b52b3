using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace NiusTv.Steps.Speech.Tacotron2;

/// <summary>NVIDIA/tacotron2's text front end (text/__init__.py, cleaners.py, numbers.py, symbols.py): the input
/// a published checkpoint was trained on. The model only knows the symbol ids, so any difference here (another
/// symbol order, another spelling of "Dr.") changes what it says.</summary>
public static partial class Tacotron2Text
{
    private const string Pad = "_";
    private const string Special = "-";
    private const string Punctuation = "!'(),.:;? ";
    private const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>cmudict.valid_symbols in its order; each becomes an '@'-prefixed symbol.</summary>
    private const string Arpabet =
        "AA AA0 AA1 AA2 AE AE0 AE1 AE2 AH AH0 AH1 AH2 AO AO0 AO1 AO2 AW AW0 AW1 AW2 AY AY0 AY1 AY2 B CH D DH EH EH0 EH1 EH2 " +
        "ER ER0 ER1 ER2 EY EY0 EY1 EY2 F G HH IH IH0 IH1 IH2 IY IY0 IY1 IY2 JH K L M N NG OW OW0 OW1 OW2 OY OY0 OY1 OY2 P R " +
        "S SH T TH UH UH0 UH1 UH2 UW UW0 UW1 UW2 V W Y Z ZH";

    /// <summary>symbols.symbols: pad, special, punctuation, letters, then ARPAbet. 148 entries (hparams n_symbols).</summary>
    public static IReadOnlyList<string> Symbols { get; } =
    [
        Pad, .. Special.Select(c => c.ToString()), .. Punctuation.Select(c => c.ToString()),
        .. Letters.Select(c => c.ToString()), .. Arpabet.Split(' ').Select(s => "@" + s),
    ];

    private static readonly Dictionary<string, int> SymbolIds = Symbols.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i, StringComparer.Ordinal);

    /// <summary>text_to_sequence(text, ["english_cleaners"]): ARPAbet in curly braces ("{HH AH0 L OW1}") passes
    /// through as phones, the rest is cleaned; symbols outside the table are dropped, as is the pad. No EOS is added
    /// (this revision of the repository adds none).</summary>
    public static long[] ToSequence(string text)
    {
        var ids = new List<long>();
        while (text.Length > 0)
        {
            var m = CurlyRe().Match(text);
            if (!m.Success)
            {
                AddSymbols(ids, EnglishCleaners(text));
                break;
            }
            AddSymbols(ids, EnglishCleaners(m.Groups[1].Value));
            foreach (var phone in m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (SymbolIds.TryGetValue("@" + phone, out var id)) ids.Add(id);
            text = m.Groups[3].Value;
        }
        return ids.ToArray();
    }

    private static void AddSymbols(List<long> ids, string cleaned)
    {
        foreach (var c in cleaned)
            if (c != '_' && c != '~' && SymbolIds.TryGetValue(c.ToString(), out var id)) ids.Add(id);
    }

    /// <summary>cleaners.english_cleaners, in its order: ASCII, lowercase, numbers, abbreviations, whitespace.</summary>
    public static string EnglishCleaners(string text)
    {
        text = SpeechText.ToAscii(text);
        text = text.ToLowerInvariant();
        text = ExpandNumbers(text);
        foreach (var (re, expansion) in Abbreviations) text = re.Replace(text, expansion);
        return WhitespaceRe().Replace(text, " ");
    }

    /// <summary>The words the model is asked to say (cleaned, punctuation dropped), for the timings' word list.</summary>
    public static IReadOnlyList<string> SpokenWords(string text) =>
        WordRe().Matches(EnglishCleaners(CurlyRe().Replace(text, m => m.Groups[1].Value + " " + m.Groups[3].Value)))
            .Select(m => m.Value).ToList();

    private static readonly (Regex Re, string Expansion)[] Abbreviations =
    [
        .. new (string, string)[]
        {
            ("mrs", "misess"), ("mr", "mister"), ("dr", "doctor"), ("st", "saint"), ("co", "company"), ("jr", "junior"),
            ("maj", "major"), ("gen", "general"), ("drs", "doctors"), ("rev", "reverend"), ("lt", "lieutenant"),
            ("hon", "honorable"), ("sgt", "sergeant"), ("capt", "captain"), ("esq", "esquire"), ("ltd", "limited"),
            ("col", "colonel"), ("ft", "fort"),
        }.Select(a => (new Regex($@"\b{a.Item1}\.", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant), a.Item2)),
    ];

    /// <summary>numbers.normalize_numbers: commas out of numbers, pounds, dollars, decimals, ordinals, then the rest.</summary>
    public static string ExpandNumbers(string text)
    {
        text = CommaNumberRe().Replace(text, m => m.Value.Replace(",", ""));
        text = PoundsRe().Replace(text, m => m.Groups[1].Value + " pounds");
        text = DollarsRe().Replace(text, ExpandDollars);
        text = DecimalRe().Replace(text, m => m.Value.Replace(".", " point "));
        text = OrdinalRe().Replace(text, m => Ordinal(NumberToWords(Parse(m.Value[..^2]))));
        return NumberRe().Replace(text, ExpandNumber);
    }

    private static string ExpandDollars(Match m)
    {
        var match = m.Groups[1].Value;
        var parts = match.Split('.');
        if (parts.Length > 2) return match + " dollars"; // unexpected format
        var dollars = parts[0].Length > 0 ? Parse(parts[0]) : 0;
        var cents = parts.Length > 1 && parts[1].Length > 0 ? Parse(parts[1]) : 0;
        string Unit(decimal n, string one) => n == 1 ? one : one + "s";
        if (dollars != 0 && cents != 0) return $"{dollars} {Unit(dollars, "dollar")}, {cents} {Unit(cents, "cent")}";
        if (dollars != 0) return $"{dollars} {Unit(dollars, "dollar")}";
        if (cents != 0) return $"{cents} {Unit(cents, "cent")}";
        return "zero dollars";
    }

    /// <summary>numbers._expand_number: years 1001..2999 read in pairs ("nineteen eighty-four", "two thousand five"),
    /// anything else as a cardinal without "and".</summary>
    private static string ExpandNumber(Match m)
    {
        var num = Parse(m.Value);
        if (num > 1000 && num < 3000)
        {
            if (num == 2000) return "two thousand";
            if (num > 2000 && num < 2010) return "two thousand " + NumberToWords(num % 100);
            if (num % 100 == 0) return NumberToWords(num / 100) + " hundred";
            var high = (int)(num / 100);
            var low = (int)(num % 100);
            // inflect's group=2 with zero='oh': "1905" is "nineteen oh five".
            return Tens(high) + " " + (low < 10 ? "oh " + Units[low] : Tens(low));
        }
        return NumberToWords(num);
    }

    private static decimal Parse(string digits) =>
        decimal.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static readonly string[] Units =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];

    private static readonly string[] TensWords = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    private static readonly string[] Scales = ["", " thousand", " million", " billion", " trillion", " quadrillion", " quintillion", " sextillion", " septillion", " octillion", " nonillion"];

    private static string Tens(int n) => n < 20 ? Units[n] : TensWords[n / 10] + (n % 10 > 0 ? "-" + Units[n % 10] : "");

    private static string Hundreds(int n) =>
        n >= 100 ? Units[n / 100] + " hundred" + (n % 100 > 0 ? " " + Tens(n % 100) : "") : Tens(n);

    /// <summary>inflect's number_to_words(n, andword=''): groups of three joined by ", ", hyphenated tens.</summary>
    public static string NumberToWords(decimal n)
    {
        if (n == 0) return "zero";
        var groups = new List<int>();
        for (var rest = decimal.Truncate(n); rest > 0; rest = decimal.Truncate(rest / 1000)) groups.Add((int)(rest % 1000));
        if (groups.Count > Scales.Length) return n.ToString(CultureInfo.InvariantCulture); // beyond inflect's names too
        var parts = new List<string>();
        for (var g = groups.Count - 1; g >= 0; g--)
            if (groups[g] != 0) parts.Add(Hundreds(groups[g]) + Scales[g]);
        return string.Join(", ", parts);
    }

    /// <summary>inflect's ordinal of a number in words: the last word changes ("twenty-one" → "twenty-first").</summary>
    public static string Ordinal(string words)
    {
        var m = LastWordRe().Match(words);
        var last = m.Value;
        var ordinal = last switch
        {
            "one" => "first", "two" => "second", "three" => "third", "five" => "fifth", "eight" => "eighth",
            "nine" => "ninth", "twelve" => "twelfth",
            _ when last.EndsWith('y') => last[..^1] + "ieth",
            _ => last + "th",
        };
        return words[..m.Index] + ordinal;
    }

    [GeneratedRegex(@"^(.*?)\{(.+?)\}(.*)$", RegexOptions.Singleline)]
    private static partial Regex CurlyRe();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRe();

    [GeneratedRegex(@"[a-z0-9']+(?:-[a-z0-9']+)*")]
    private static partial Regex WordRe();

    [GeneratedRegex(@"[0-9][0-9,]+[0-9]")]
    private static partial Regex CommaNumberRe();

    [GeneratedRegex(@"£([0-9,]*[0-9]+)")]
    private static partial Regex PoundsRe();

    [GeneratedRegex(@"\$([0-9.,]*[0-9]+)")]
    private static partial Regex DollarsRe();

    [GeneratedRegex(@"[0-9]+\.[0-9]+")]
    private static partial Regex DecimalRe();

    [GeneratedRegex(@"[0-9]+(st|nd|rd|th)")]
    private static partial Regex OrdinalRe();

    [GeneratedRegex(@"[0-9]+")]
    private static partial Regex NumberRe();

    [GeneratedRegex(@"[a-z]+$")]
    private static partial Regex LastWordRe();
}
