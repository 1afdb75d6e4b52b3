namespace NiusTv.Steps.Phonemes.Graphones;

/// <summary>An n-gram model over token ids (graphones), smoothed by interpolated modified Kneser–Ney (Chen and
/// Goodman, 1998) and kept in backoff form: every seen n-gram has its final (interpolated) log probability and every
/// context its backoff weight, so a query walks down from the longest matching history.
/// Token 0 is the end of a word and token 1 its start (only ever a history).</summary>
public sealed class GraphoneLanguageModel
{
    public const char End = (char)0, Start = (char)1;

    public readonly record struct Entry(float LogProb, float LogBackoff);

    private readonly Dictionary<string, Entry> grams;
    private readonly Dictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> lookup;

    public int Order { get; }
    public int Count => grams.Count;
    public IReadOnlyDictionary<string, Entry> Grams => grams;

    public GraphoneLanguageModel(int order, Dictionary<string, Entry> grams)
    {
        Order = order;
        this.grams = grams;
        lookup = grams.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Natural log of P(token | history); only the last <c>Order − 1</c> tokens of the history count.</summary>
    public double LogProb(ReadOnlySpan<char> history, char token)
    {
        if (history.Length > Order - 1) history = history[^(Order - 1)..];
        Span<char> gram = stackalloc char[history.Length + 1];
        double backoff = 0;
        for (var k = history.Length; k >= 0; k--)
        {
            var context = history[^k..];
            context.CopyTo(gram);
            gram[k] = token;
            if (lookup.TryGetValue(gram[..(k + 1)], out var hit)) return backoff + hit.LogProb;
            if (k > 0 && lookup.TryGetValue(context, out var ctx)) backoff += ctx.LogBackoff;
        }
        // A token never seen in training (only when a caller passes one): as unlikely as can be, not impossible.
        return backoff - 30;
    }

    /// <summary>Estimates the model from token sentences (without the start and end tokens, which are added);
    /// <paramref name="vocabulary"/> counts the tokens that can be predicted (units and the end).</summary>
    public static GraphoneLanguageModel Estimate(IReadOnlyList<char[]> sentences, int order, int vocabulary)
    {
        if (order < 1) throw new ArgumentOutOfRangeException(nameof(order), order, "the order must be at least 1");
        var raw = new Dictionary<string, int>[order + 1];
        for (var n = 1; n <= order; n++) raw[n] = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in sentences)
        {
            var s = new string([Start, .. sentence, End]);
            for (var i = 1; i < s.Length; i++)
            for (var n = 1; n <= order && i - n + 1 >= 0; n++)
            {
                var key = s.Substring(i - n + 1, n);
                raw[n][key] = raw[n].GetValueOrDefault(key) + 1;
            }
        }

        // Lower orders count how many different tokens precede an n-gram, not how often it occurs, except at the
        // start of a word, where nothing can precede it.
        var adjusted = new Dictionary<string, int>[order + 1];
        adjusted[order] = raw[order];
        for (var n = order - 1; n >= 1; n--)
        {
            var continuation = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var key in raw[n + 1].Keys)
            {
                var suffix = key[1..];
                continuation[suffix] = continuation.GetValueOrDefault(suffix) + 1;
            }
            adjusted[n] = raw[n].ToDictionary(e => e.Key, e => e.Key[0] == Start ? e.Value : continuation[e.Key], StringComparer.Ordinal);
        }

        var grams = new Dictionary<string, Entry>(StringComparer.Ordinal);
        for (var n = 1; n <= order; n++)
        {
            var (d1, d2, d3) = Discounts(adjusted[n].Values);
            var contexts = new Dictionary<string, (long Total, int N1, int N2, int N3)>(StringComparer.Ordinal);
            foreach (var (key, count) in adjusted[n])
            {
                var h = key[..^1];
                var c = contexts.GetValueOrDefault(h);
                contexts[h] = (c.Total + count, c.N1 + (count == 1 ? 1 : 0), c.N2 + (count == 2 ? 1 : 0), c.N3 + (count >= 3 ? 1 : 0));
            }
            var gamma = contexts.ToDictionary(c => c.Key, c => (d1 * c.Value.N1 + d2 * c.Value.N2 + d3 * c.Value.N3) / c.Value.Total, StringComparer.Ordinal);
            foreach (var (key, count) in adjusted[n])
            {
                var h = key[..^1];
                var discounted = Math.Max(count - (count == 1 ? d1 : count == 2 ? d2 : d3), 0) / contexts[h].Total;
                var lower = n == 1 ? 1.0 / vocabulary : Math.Exp(grams[key[1..]].LogProb);
                grams[key] = new Entry((float)Math.Log(discounted + gamma[h] * lower), 0);
            }
            foreach (var (h, g) in gamma)
            {
                if (h.Length == 0) continue;
                var existing = grams.TryGetValue(h, out var e) ? e.LogProb : float.NegativeInfinity;
                grams[h] = new Entry(existing, (float)Math.Log(g));
            }
        }
        return new GraphoneLanguageModel(order, grams);
    }

    /// <summary>Chen and Goodman's estimates from the counts of counts, held inside (0, c) so an order with few
    /// n-grams still smooths.</summary>
    private static (double D1, double D2, double D3) Discounts(IEnumerable<int> counts)
    {
        long n1 = 0, n2 = 0, n3 = 0, n4 = 0;
        foreach (var c in counts)
            switch (c) { case 1: n1++; break; case 2: n2++; break; case 3: n3++; break; case 4: n4++; break; }
        if (n1 == 0 || n2 == 0 || n3 == 0 || n4 == 0) return (0.5, 1.0, 1.5);
        var y = n1 / (double)(n1 + 2 * n2);
        return (Math.Clamp(1 - 2 * y * n2 / n1, 0.05, 0.95), Math.Clamp(2 - 3 * y * n3 / n2, 0.1, 1.9), Math.Clamp(3 - 4 * y * n4 / n3, 0.15, 2.9));
    }
}
