using System.Text.RegularExpressions;

namespace NiusTv.Steps.Speech;

/// <summary>Splits a paragraph into sentences for backends that speak one sentence at a time (Tacotron2's attention
/// loses its place on long inputs). A sentence ends at . ! or ? (and any closing quote or bracket) followed by space
/// and a capital, digit or opening quote, unless the word before the period is a known abbreviation or an initial.
/// Pieces still longer than the limit are cut at the last comma, semicolon or colon before it, else at a space.</summary>
public static partial class Sentences
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "drs", "st", "co", "jr", "sr", "maj", "gen", "rev", "lt", "hon", "sgt", "capt", "esq",
        "ltd", "col", "ft", "prof", "inc", "vs", "etc", "no", "mt", "gov", "sen", "rep", "u.s", "e.g", "i.e", "a.m", "p.m",
    };

    public static IReadOnlyList<string> Split(string paragraph, int maxChars)
    {
        var text = string.Join(' ', paragraph.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var result = new List<string>();
        var start = 0;
        foreach (Match m in BoundaryRe().Matches(text))
        {
            var end = m.Index + m.Groups[1].Length; // just after the punctuation (and closing quotes)
            if (m.Groups[1].Value.StartsWith('.') && IsAbbreviation(text, m.Index)) continue;
            Add(result, text[start..end], maxChars);
            start = m.Index + m.Length;
        }
        if (start < text.Length) Add(result, text[start..], maxChars);
        return result;
    }

    private static bool IsAbbreviation(string text, int periodAt)
    {
        var wordStart = periodAt;
        while (wordStart > 0 && text[wordStart - 1] != ' ') wordStart--;
        var word = text[wordStart..periodAt].TrimStart('(', '"', '\'');
        return word.Length == 1 && char.IsLetter(word[0]) || Abbreviations.Contains(word);
    }

    private static void Add(List<string> result, string sentence, int maxChars)
    {
        sentence = sentence.Trim();
        while (sentence.Length > maxChars)
        {
            var cut = sentence.LastIndexOfAny([',', ';', ':'], maxChars - 1);
            if (cut < maxChars / 3) cut = sentence.LastIndexOf(' ', maxChars - 1);
            if (cut <= 0) cut = maxChars - 1; // one very long token: cut it, nothing better is left
            result.Add(sentence[..(cut + 1)].Trim());
            sentence = sentence[(cut + 1)..].Trim();
        }
        if (sentence.Length > 0) result.Add(sentence);
    }

    [GeneratedRegex("""([.!?]+["')\]]*) +(?=["'(\[]?[A-Z0-9])""")]
    private static partial Regex BoundaryRe();
}
