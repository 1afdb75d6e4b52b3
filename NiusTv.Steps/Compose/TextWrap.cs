using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>A piece of a token on a line: characters [<see cref="CharStart"/>, <see cref="CharEnd"/>) of token
/// <see cref="Token"/>. A token only splits when it is wider than a whole line by itself.</summary>
public readonly record struct LinePiece(int Token, int CharStart, int CharEnd);

public sealed record WrappedLine(string Text, IReadOnlyList<LinePiece> Pieces);

/// <summary>Greedy line breaking by measured width. Measuring is a delegate so tests can use a fake metric
/// and drawing code can pass the real font.</summary>
public static class TextWrap
{
    public static Func<string, float> Measure(SKFont font) => s => font.MeasureText(s);

    /// <summary>Splits text on whitespace and wraps it.</summary>
    public static IReadOnlyList<string> Wrap(string text, float maxWidth, Func<string, float> measure) =>
        WrapTokens(Tokenize(text), maxWidth, measure).Select(l => l.Text).ToList();

    public static IReadOnlyList<string> Tokenize(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Wraps tokens into lines no wider than <paramref name="maxWidth"/>, keeping which token each
    /// piece of a line came from so caption timing can follow. A token wider than a line is broken between
    /// characters (never between a surrogate pair), so no line ever overflows; a single character wider than
    /// the line is the one unavoidable exception and gets a line of its own.</summary>
    public static IReadOnlyList<WrappedLine> WrapTokens(IReadOnlyList<string> tokens, float maxWidth, Func<string, float> measure)
    {
        var lines = new List<WrappedLine>();
        var text = new System.Text.StringBuilder();
        var pieces = new List<LinePiece>();

        void Flush()
        {
            if (pieces.Count == 0) return;
            lines.Add(new WrappedLine(text.ToString(), pieces.ToArray()));
            text.Clear();
            pieces.Clear();
        }

        for (var t = 0; t < tokens.Count; t++)
        {
            var token = tokens[t];
            if (token.Length == 0) continue;
            if (pieces.Count > 0)
            {
                var candidate = text + " " + token;
                if (measure(candidate) <= maxWidth)
                {
                    text.Append(' ').Append(token);
                    pieces.Add(new LinePiece(t, 0, token.Length));
                    continue;
                }
                Flush();
            }
            if (measure(token) <= maxWidth)
            {
                text.Append(token);
                pieces.Add(new LinePiece(t, 0, token.Length));
                continue;
            }
            // Too long for any line: cut it into the longest prefixes that fit. The last piece stays open
            // so the next token can join it.
            var start = 0;
            while (start < token.Length)
            {
                var end = LongestFit(token, start, maxWidth, measure);
                if (end < token.Length)
                {
                    lines.Add(new WrappedLine(token[start..end], [new LinePiece(t, start, end)]));
                }
                else
                {
                    text.Append(token, start, end - start);
                    pieces.Add(new LinePiece(t, start, end));
                }
                start = end;
            }
        }
        Flush();
        return lines;
    }

    private static int LongestFit(string token, int start, float maxWidth, Func<string, float> measure)
    {
        // Binary search on the prefix length; width grows monotonically with more characters.
        int lo = start + 1, hi = token.Length, best = start + 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (measure(token[start..mid]) <= maxWidth) { best = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (best < token.Length && char.IsHighSurrogate(token[best - 1])) best = best - 1 > start ? best - 1 : best + 1;
        return Math.Min(best, token.Length);
    }

    /// <summary>Shortens text with an ellipsis until it fits (for single-line labels like the lower third).</summary>
    public static string Ellipsize(string text, float maxWidth, Func<string, float> measure)
    {
        if (measure(text) <= maxWidth) return text;
        const string ellipsis = "…";
        int lo = 0, hi = text.Length, best = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (measure(text[..mid].TrimEnd() + ellipsis) <= maxWidth) { best = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (best > 0 && char.IsHighSurrogate(text[best - 1])) best--;
        return best == 0 ? (measure(ellipsis) <= maxWidth ? ellipsis : "") : text[..best].TrimEnd() + ellipsis;
    }
}
