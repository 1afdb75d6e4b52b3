namespace NiusTv.Steps.Phonemes.Graphones;

/// <summary>A graphone: one letter of a word with the zero, one or two phones it says (<c>p}F</c>, <c>h}</c>,
/// <c>x}K_S</c>). A word's pronunciation is a sequence of them, and the joint-sequence model (Bisani and Ney, 2008)
/// is an n-gram model over those sequences. One letter per graphone, with an 8-gram over them, measured better on the
/// dev split (26.8% WER) than units of up to two letters (27.7% with 2→1 units, 30.0% with 2→2): longer units
/// split the counts the n-gram needs, and the n-gram's history already sees the neighbouring letters.</summary>
public readonly record struct Graphone(string Letters, IReadOnlyList<string> Phones)
{
    public const int MostLetters = 1, MostPhones = 2;

    /// <summary>The text form used in the model file: letters, <c>}</c>, phones joined by <c>_</c>.</summary>
    public override string ToString() => Letters + "}" + string.Join('_', Phones);

    public static Graphone Parse(string text, string source)
    {
        var brace = text.LastIndexOf('}');
        if (brace < 1 || brace > MostLetters)
            throw new InvalidDataException($"{source}: '{text}' is not a graphone (expected a letter, '}}', 0–2 phones joined by '_')");
        var phones = text[(brace + 1)..].Length == 0 ? [] : text[(brace + 1)..].Split('_');
        if (phones.Length > MostPhones || phones.Any(p => !CmuDictionary.IsPhone(p)))
            throw new InvalidDataException($"{source}: '{text}' is not a graphone (its phones must be 0–2 CMU phones without stress)");
        return new Graphone(text[..brace], phones);
    }
}

/// <summary>Splits each dictionary pair (word, phones) into graphones by expectation maximisation over every way the
/// word can be cut (the many-to-many alignment of Jiampojamarn et al., 2007): unit probabilities start uniform, each
/// round counts how often each unit is used, weighted by how likely each cut is, and the last round's single most
/// likely cut is the word's graphone sequence. Every letter belongs to exactly one unit, which may say nothing.</summary>
public sealed class GraphoneAligner
{
    private readonly Dictionary<char, int> letterIds = new();
    private readonly Dictionary<int, int> unitIds = new();
    private readonly List<int> unitKeys = [];
    private double[] probabilities = [];

    public sealed record Pair(string Word, IReadOnlyList<string> Phones);

    /// <summary>Aligns <paramref name="pairs"/>; a pair no cut can explain (more than two phones per letter, as in
    /// spelled-out abbreviations) gets null.</summary>
    public static IReadOnlyList<Graphone[]?> Align(IReadOnlyList<Pair> pairs, int rounds, Action<int, double>? progress = null)
    {
        var aligner = new GraphoneAligner();
        var encoded = pairs.Select(p => (Letters: p.Word.Select(aligner.LetterId).ToArray(), Phones: p.Phones.Select(PhoneId).ToArray())).ToArray();
        foreach (var (letters, phones) in encoded) aligner.EnumerateUnits(letters, phones);
        aligner.probabilities = Enumerable.Repeat(1.0 / aligner.unitKeys.Count, aligner.unitKeys.Count).ToArray();
        for (var round = 1; round <= rounds; round++)
        {
            var logLikelihood = aligner.Expect(encoded, out var counts);
            var total = counts.Sum();
            aligner.probabilities = counts.Select(c => c / total).ToArray();
            progress?.Invoke(round, logLikelihood);
        }
        var result = new Graphone[]?[pairs.Count];
        Parallel.For(0, pairs.Count, i => result[i] = aligner.Best(pairs[i].Word, pairs[i].Phones, encoded[i].Letters, encoded[i].Phones));
        return result;
    }

    private int LetterId(char c)
    {
        if (!letterIds.TryGetValue(c, out var id))
        {
            id = letterIds.Count + 1;
            if (id >= 64) throw new InvalidDataException($"more than 63 distinct characters in the dictionary's words (at '{c}')");
            letterIds[c] = id;
        }
        return id;
    }

    private static readonly Dictionary<string, int> PhoneIds =
        CmuDictionary.PhoneSet.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i + 1, StringComparer.Ordinal);

    private static int PhoneId(string phone) =>
        PhoneIds.TryGetValue(phone, out var id) ? id : throw new InvalidDataException($"'{phone}' is not a CMU phone without stress");

    // Six bits each: first letter, second letter (0 = none), first phone, second phone (0 = none).
    private static int Key(int[] letters, int i, int di, int[] phones, int j, int dj) =>
        letters[i] | (di > 1 ? letters[i + 1] << 6 : 0) | (dj > 0 ? phones[j] << 12 : 0) | (dj > 1 ? phones[j + 1] << 18 : 0);

    private void EnumerateUnits(int[] letters, int[] phones)
    {
        for (var i = 0; i < letters.Length; i++)
        for (var j = 0; j <= phones.Length; j++)
        for (var di = 1; di <= Graphone.MostLetters && i + di <= letters.Length; di++)
        for (var dj = 0; dj <= Graphone.MostPhones && j + dj <= phones.Length; dj++)
        {
            var key = Key(letters, i, di, phones, j, dj);
            if (unitIds.TryAdd(key, unitKeys.Count)) unitKeys.Add(key);
        }
    }

    /// <summary>One E-step over all pairs (forward–backward over the cut lattice), in parallel with a count array per
    /// worker; returns the total log likelihood.</summary>
    private double Expect((int[] Letters, int[] Phones)[] pairs, out double[] counts)
    {
        // Each fixed chunk of pairs sums into its own counts, and the chunks are added in order: summed as threads
        // finish, the last bits differ from run to run, which flips tied cuts and so the trained model.
        const int chunk = 2048;
        var chunks = (pairs.Length + chunk - 1) / chunk;
        var chunkCounts = new double[chunks][];
        var chunkLogs = new double[chunks];
        Parallel.For(0, chunks, c =>
            {
                var local = (Counts: new double[unitKeys.Count], Log: 0.0);
                for (var p = c * chunk; p < Math.Min(pairs.Length, (c + 1) * chunk); p++)
                {
                    var (letters, phones) = pairs[p];
                    int n = letters.Length, m = phones.Length, w = m + 1;
                    var alpha = new double[(n + 1) * w];
                    var beta = new double[(n + 1) * w];
                    alpha[0] = 1;
                    for (var i = 0; i < n; i++)
                    for (var j = 0; j <= m; j++)
                    {
                        var a = alpha[i * w + j];
                        if (a == 0) continue;
                        for (var di = 1; di <= Graphone.MostLetters && i + di <= n; di++)
                        for (var dj = 0; dj <= Graphone.MostPhones && j + dj <= m; dj++)
                            alpha[(i + di) * w + j + dj] += a * probabilities[unitIds[Key(letters, i, di, phones, j, dj)]];
                    }
                    var z = alpha[n * w + m];
                    if (z <= 0) continue;
                    beta[n * w + m] = 1;
                    for (var i = n - 1; i >= 0; i--)
                    for (var j = m; j >= 0; j--)
                    {
                        double b = 0;
                        for (var di = 1; di <= Graphone.MostLetters && i + di <= n; di++)
                        for (var dj = 0; dj <= Graphone.MostPhones && j + dj <= m; dj++)
                            b += probabilities[unitIds[Key(letters, i, di, phones, j, dj)]] * beta[(i + di) * w + j + dj];
                        beta[i * w + j] = b;
                    }
                    for (var i = 0; i < n; i++)
                    for (var j = 0; j <= m; j++)
                    {
                        var a = alpha[i * w + j];
                        if (a == 0) continue;
                        for (var di = 1; di <= Graphone.MostLetters && i + di <= n; di++)
                        for (var dj = 0; dj <= Graphone.MostPhones && j + dj <= m; dj++)
                        {
                            var u = unitIds[Key(letters, i, di, phones, j, dj)];
                            local.Counts[u] += a * probabilities[u] * beta[(i + di) * w + j + dj] / z;
                        }
                    }
                    local.Log += Math.Log(z);
                }
                chunkCounts[c] = local.Counts;
                chunkLogs[c] = local.Log;
            });
        var total = new double[unitKeys.Count];
        double logLikelihood = 0;
        for (var c = 0; c < chunks; c++)
        {
            for (var u = 0; u < total.Length; u++) total[u] += chunkCounts[c][u];
            logLikelihood += chunkLogs[c];
        }
        counts = total;
        return logLikelihood;
    }

    /// <summary>The most likely cut (Viterbi) under the current unit probabilities.</summary>
    private Graphone[]? Best(string word, IReadOnlyList<string> phoneNames, int[] letters, int[] phones)
    {
        int n = letters.Length, m = phones.Length, w = m + 1;
        var score = new double[(n + 1) * w];
        var back = new (int I, int J)[(n + 1) * w];
        Array.Fill(score, double.NegativeInfinity);
        score[0] = 0;
        for (var i = 0; i < n; i++)
        for (var j = 0; j <= m; j++)
        {
            var s = score[i * w + j];
            if (double.IsNegativeInfinity(s)) continue;
            for (var di = 1; di <= Graphone.MostLetters && i + di <= n; di++)
            for (var dj = 0; dj <= Graphone.MostPhones && j + dj <= m; dj++)
            {
                var next = s + Math.Log(probabilities[unitIds[Key(letters, i, di, phones, j, dj)]]);
                var to = (i + di) * w + j + dj;
                if (next > score[to]) { score[to] = next; back[to] = (i, j); }
            }
        }
        if (double.IsNegativeInfinity(score[n * w + m])) return null;
        var units = new List<Graphone>();
        for (int i = n, j = m; i > 0 || j > 0;)
        {
            var (pi, pj) = back[i * w + j];
            units.Add(new Graphone(word[pi..i], phoneNames.Skip(pj).Take(j - pj).ToArray()));
            (i, j) = (pi, pj);
        }
        units.Reverse();
        return units.ToArray();
    }
}
