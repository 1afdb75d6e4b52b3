using NiusTv.Steps.Speech;
using NiusTv.Steps.Speech.Normalization;

namespace NiusTv.Steps.Compose;

/// <summary>An original story token ("Dr.", "$5", "2027,") with the time it is spoken.</summary>
public readonly record struct TimedToken(string Text, double Start, double End);

/// <summary>Maps the story's original tokens onto the synthesizer's timed words. Festival lowercases, drops
/// punctuation and expands numbers, currency and abbreviations into several words ("2027" → "twenty twenty
/// seven", "$5" → "five dollars", "Dr." → "doctor"), so a plain zip drifts. Tokens that match after
/// normalisation take their word's time; at a mismatch we look ahead for the next token that matches a word
/// again (resync) and share the skipped words' time among the skipped tokens.</summary>
public static class CaptionAligner
{
    // How far to look ahead when resyncing: a token rarely expands into more than ~8 spoken words
    // ("$1,250,000" is the worst common case), and a run of more than 8 unmatched tokens means the
    // texts have diverged enough that proportional interpolation is as good as anything.
    private const int MaxTokenLookahead = 8;
    private const int MaxWordsPerToken = 12;

    public static string Normalize(string s)
    {
        Span<char> buffer = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        var n = 0;
        foreach (var c in s)
            if (char.IsLetterOrDigit(c)) buffer[n++] = char.ToLowerInvariant(c);
        return new string(buffer[..n]);
    }

    /// <param name="tokens">The paragraph's original whitespace-separated tokens.</param>
    /// <param name="words">The paragraph's timed words in spoken order.</param>
    /// <param name="spanStart">Start of the paragraph's speech (used when there are no words to lean on).</param>
    /// <param name="spanEnd">End of the paragraph's speech.</param>
    public static IReadOnlyList<TimedToken> Align(IReadOnlyList<string> tokens, IReadOnlyList<TimedWord> words, double spanStart, double spanEnd)
    {
        var result = new TimedToken[tokens.Count];
        if (tokens.Count == 0) return result;
        var tokenNorm = tokens.Select(Normalize).ToArray();
        var wordNorm = words.Select(w => Normalize(w.Text)).ToArray();

        int i = 0, w = 0;
        var cursor = words.Count > 0 ? Math.Min(spanStart, words[0].Start) : spanStart;
        while (i < tokens.Count)
        {
            if (w < words.Count && tokenNorm[i].Length > 0 && tokenNorm[i] == wordNorm[w])
            {
                result[i] = new TimedToken(tokens[i], words[w].Start, words[w].End);
                cursor = words[w].End;
                i++; w++;
                continue;
            }
            var (j, k) = Resync(tokenNorm, wordNorm, i, w);
            cursor = Share(tokens, i, j, words, w, k, cursor, spanEnd, result);
            i = j; w = k;
        }
        return result;
    }

    /// <summary>The nearest (token, word) pair at or after the mismatch that match again, nearest meaning
    /// fewest tokens plus words skipped. The token itself may match a later word (Festival inserted words,
    /// "five million dollars"), or a later token may match (the token expanded, "Dr." → "doctor"). A pair
    /// confirmed by the following pair wins over a closer unconfirmed one, so a lone "the" does not resync
    /// in the wrong place; a following token with digits cannot confirm or refute (it will expand). Returns
    /// the ends of both lists when nothing matches again.</summary>
    private static (int Token, int Word) Resync(string[] tokenNorm, string[] wordNorm, int i, int w)
    {
        (int, int)? unconfirmed = null;
        var maxCost = MaxTokenLookahead + MaxWordsPerToken * 2;
        for (var cost = 1; cost <= maxCost; cost++)
        {
            for (var dj = 0; dj <= Math.Min(cost, MaxTokenLookahead); dj++)
            {
                int j = i + dj, k = w + cost - dj;
                if (j >= tokenNorm.Length || k >= wordNorm.Length || k - w > MaxWordsPerToken * (dj + 1)) continue;
                if (tokenNorm[j].Length == 0 || tokenNorm[j] != wordNorm[k]) continue;
                if (Confirmed(tokenNorm, wordNorm, j, k)) return (j, k);
                unconfirmed ??= (j, k);
            }
        }
        return unconfirmed ?? (tokenNorm.Length, wordNorm.Length);
    }

    /// <summary>Whether the token after <paramref name="j"/> turns up among the next few words after
    /// <paramref name="k"/> (a few, because it may itself follow an inserted word such as "dollars"). A
    /// following token with digits or no letters cannot confirm or refute, so it counts as confirmation.</summary>
    private static bool Confirmed(string[] tokenNorm, string[] wordNorm, int j, int k)
    {
        if (j + 1 >= tokenNorm.Length || k + 1 >= wordNorm.Length) return true;
        var next = tokenNorm[j + 1];
        if (next.Length == 0 || next.Any(char.IsDigit)) return true;
        for (var m = k + 1; m < Math.Min(wordNorm.Length, k + 4); m++)
            if (wordNorm[m] == next) return true;
        return false;
    }

    /// <summary>How many words each token is spoken as, by the speech step's text normalizer applied to the
    /// token alone; null when a token would say none (the counts could not be trusted then).</summary>
    private static int[]? SpokenCounts(IReadOnlyList<string> tokens, List<int> spoken)
    {
        var counts = new int[spoken.Count];
        for (var n = 0; n < spoken.Count; n++)
        {
            counts[n] = Phonemes.ScriptWords.Split(TextNormalizer.Normalize(tokens[spoken[n]])).Count;
            if (counts[n] == 0) return null;
        }
        return counts;
    }

    /// <summary>Gives tokens [i, j) the time of words [w, k): one to one when the counts agree, otherwise the
    /// words' whole span split in proportion to the tokens' lengths. With no words (a dash Festival did not
    /// say) the tokens get the gap up to the next word. Returns the new time cursor.</summary>
    private static double Share(IReadOnlyList<string> tokens, int i, int j, IReadOnlyList<TimedWord> words, int w, int k,
        double cursor, double spanEnd, TimedToken[] result)
    {
        var n = j - i;
        if (n <= 0) return cursor;
        // Tokens with no letters or digits (a dash, a lone quote) are not spoken; they must not take a word.
        var spoken = Enumerable.Range(i, n).Where(t => Normalize(tokens[t]).Length > 0).ToList();
        if (k > w && spoken.Count == k - w)
        {
            var at = cursor;
            var next = 0;
            for (var t = i; t < j; t++)
            {
                if (next < spoken.Count && spoken[next] == t)
                {
                    var word = words[w + next++];
                    result[t] = new TimedToken(tokens[t], word.Start, word.End);
                    at = word.End;
                }
                else result[t] = new TimedToken(tokens[t], at, at);
            }
            return words[k - 1].End;
        }
        if (k > w && spoken.Count > 0 && SpokenCounts(tokens, spoken) is { } counts && counts.Sum() == k - w)
        {
            // Each token says as many words as the text normalizer makes of it ("2019," → twenty nineteen,
            // "Dr." → doctor): the counts add up, so every token gets exactly its own words.
            var at = cursor;
            var next = 0;
            var word = w;
            for (var t = i; t < j; t++)
            {
                if (next < spoken.Count && spoken[next] == t)
                {
                    var n2 = counts[next++];
                    result[t] = new TimedToken(tokens[t], words[word].Start, words[word + n2 - 1].End);
                    at = words[word + n2 - 1].End;
                    word += n2;
                }
                else result[t] = new TimedToken(tokens[t], at, at);
            }
            return words[k - 1].End;
        }
        double start, end;
        if (k > w) { start = words[w].Start; end = words[k - 1].End; }
        else { start = cursor; end = k < words.Count ? words[k].Start : Math.Max(cursor, spanEnd); }
        if (end < start) end = start;

        // Words to share: unspoken tokens get none. In a gap with no words at all every token gets a share,
        // so an unaligned paragraph still shows each line for a while.
        var weights = new double[n];
        double total = 0;
        for (var m = 0; m < n; m++)
        {
            var len = Normalize(tokens[i + m]).Length;
            total += weights[m] = k > w && spoken.Count > 0 ? len : Math.Max(1, len);
        }
        var time = start;
        for (var m = 0; m < n; m++)
        {
            var next = m == n - 1 ? end : time + (end - start) * weights[m] / total;
            result[i + m] = new TimedToken(tokens[i + m], time, next);
            time = next;
        }
        return end;
    }
}
