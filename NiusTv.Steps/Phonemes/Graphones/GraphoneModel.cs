using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace NiusTv.Steps.Phonemes.Graphones;

/// <summary>One pronunciation a model proposes for a word, with the model's natural-log probability of it.</summary>
public sealed record G2pCandidate(IReadOnlyList<string> Phones, double LogProb);

public sealed record GraphoneTrainingOptions
{
    /// <summary>n-gram order over graphones: 8 covers about four letters either side of the one being said.</summary>
    public int Order { get; init; } = 8;
    public int AlignmentRounds { get; init; } = 8;
    /// <summary>Read words from their last letter to their first: a model that sees what follows a letter before it
    /// decides, so its mistakes differ from the left-to-right model's and the two are worth combining.</summary>
    public bool RightToLeft { get; init; }
    /// <summary>How many of its best pronunciations the graphone model puts forward beside the network's guess (its
    /// 10 best held a right one for 94.7% of dev words, its first for 73.2%).</summary>
    public int Candidates { get; init; } = 8;
}

public sealed record GraphoneTrainingRecord(int Order, bool RightToLeft, int AlignmentRounds, int TrainPairs, int Unaligned, int Graphones, int NGrams, double Seconds, string Dictionary);

/// <summary>The joint-sequence g2p model: graphones and an n-gram model over them. A word is said by searching the
/// ways to cut it into graphones, left to right, scoring each by the n-gram model; the phones of the best cuts are
/// the candidates. It is trained in about a minute on a CPU and reads letters the neural model misreads differently,
/// which is why the two are combined (<see cref="G2pModel"/>).</summary>
public sealed class GraphoneModel
{
    public const string FileName = "graphones.txt.gz";
    private const string Magic = "nius-graphones 1", LeftToRightName = "left-to-right", RightToLeftName = "right-to-left";

    private readonly IReadOnlyList<Graphone> units;
    private readonly Dictionary<string, List<char>> byLetters = new(StringComparer.Ordinal);

    public GraphoneLanguageModel Language { get; }
    public GraphoneTrainingRecord? Training { get; }
    public IReadOnlyList<Graphone> Units => units;

    /// <summary>True when the model reads words backwards (<see cref="GraphoneTrainingOptions.RightToLeft"/>); its
    /// graphones and n-grams are then over reversed letters and phones, and every call here still takes and gives
    /// words and phones in their natural order.</summary>
    public bool RightToLeft { get; }

    public GraphoneModel(IReadOnlyList<Graphone> units, GraphoneLanguageModel language, bool rightToLeft, GraphoneTrainingRecord? training)
    {
        RightToLeft = rightToLeft;
        this.units = units;
        Language = language;
        Training = training;
        for (var i = 0; i < units.Count; i++)
        {
            if (!byLetters.TryGetValue(units[i].Letters, out var list)) byLetters[units[i].Letters] = list = [];
            list.Add(Token(i));
        }
    }

    private static char Token(int unit) => (char)(unit + 2);

    private sealed record Hypothesis(int Position, string History, double Score, Hypothesis? Parent, int Unit, int PhonesSaid);

    /// <summary>The <paramref name="count"/> most likely pronunciations of <paramref name="word"/> (lowercase), best
    /// first; cuts that say the same phones are summed. <paramref name="beam"/> hypotheses are kept per letter. A
    /// letter no graphone starts with is passed over silently.</summary>
    public IReadOnlyList<G2pCandidate> Candidates(string word, int count = 1, int beam = 24) =>
        RightToLeft
            ? Search(Reverse(word), null, beam).Take(count).Select(c => c with { Phones = c.Phones.Reverse().ToList() }).ToList()
            : Search(word, null, beam).Take(count).ToList();

    /// <summary>Natural-log probability of <paramref name="word"/> said as <paramref name="phones"/>, summed over the
    /// cuts that say exactly those phones (negative infinity when none does): how the other model's guess is scored.</summary>
    public double LogProbOf(string word, IReadOnlyList<string> phones, int beam = 24) =>
        (RightToLeft ? Search(Reverse(word), phones.Reverse().ToList(), beam) : Search(word, phones, beam)).FirstOrDefault()?.LogProb ?? double.NegativeInfinity;

    private static string Reverse(string word) => new(word.Reverse().ToArray());

    private IEnumerable<G2pCandidate> Search(string word, IReadOnlyList<string>? said, int beam)
    {
        if (word.Length == 0) return [];
        var history = Language.Order - 1;
        var agenda = new List<Hypothesis>[word.Length + 1];
        for (var i = 0; i <= word.Length; i++) agenda[i] = [];
        agenda[0].Add(new Hypothesis(0, GraphoneLanguageModel.Start.ToString(), 0, null, -1, 0));
        for (var p = 0; p < word.Length; p++)
        {
            var here = agenda[p];
            if (here.Count > beam) { here.Sort((a, b) => b.Score.CompareTo(a.Score)); here.RemoveRange(beam, here.Count - beam); }
            var known = false;
            for (var take = 1; take <= Graphone.MostLetters && p + take <= word.Length; take++)
            {
                if (!byLetters.TryGetValue(word.Substring(p, take), out var tokens)) continue;
                known = true;
                foreach (var h in here)
                    foreach (var token in tokens)
                    {
                        var unit = units[token - 2];
                        if (said is not null && !Says(said, h.PhonesSaid, unit.Phones)) continue;
                        var next = h.History + token;
                        if (next.Length > history) next = next[^history..];
                        agenda[p + take].Add(new Hypothesis(p + take, next, h.Score + Language.LogProb(h.History, token), h, token - 2, h.PhonesSaid + unit.Phones.Count));
                    }
            }
            if (!known) agenda[p + 1].AddRange(here.Select(h => h with { Position = p + 1, Parent = h, Unit = -1 }));
        }
        var finals = agenda[word.Length];
        var results = new Dictionary<string, (IReadOnlyList<string> Phones, double LogProb)>(StringComparer.Ordinal);
        foreach (var h in finals)
        {
            if (said is not null && h.PhonesSaid != said.Count) continue;
            var score = h.Score + Language.LogProb(h.History, GraphoneLanguageModel.End);
            var phones = PhonesOf(h);
            var key = string.Join(' ', phones);
            results[key] = results.TryGetValue(key, out var seen) ? (phones, LogAdd(seen.LogProb, score)) : (phones, score);
        }
        return results.Values.OrderByDescending(s => s.LogProb).Select(s => new G2pCandidate(s.Phones, s.LogProb));
    }

    private static bool Says(IReadOnlyList<string> said, int from, IReadOnlyList<string> phones)
    {
        if (from + phones.Count > said.Count) return false;
        for (var i = 0; i < phones.Count; i++)
            if (said[from + i] != phones[i]) return false;
        return true;
    }

    private IReadOnlyList<string> PhonesOf(Hypothesis h)
    {
        var units = new List<Graphone>();
        for (var at = h; at is { Parent: not null }; at = at.Parent)
            if (at.Unit >= 0) units.Add(this.units[at.Unit]);
        units.Reverse();
        return units.SelectMany(u => u.Phones).ToList();
    }

    private static double LogAdd(double a, double b) => a > b ? a + double.LogP1(Math.Exp(b - a)) : b + double.LogP1(Math.Exp(a - b));

    /// <summary>Aligns the train split's pairs (every variant) and estimates the n-gram model over them. Dev and test
    /// words are never seen.</summary>
    public static GraphoneModel Train(CmuDictionary dictionary, GraphoneTrainingOptions options, Action<string>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var pairs = G2pSplits.Select(dictionary, G2pSplit.Train)
            .SelectMany(w => w.Variants.Select(v => options.RightToLeft ? new GraphoneAligner.Pair(Reverse(w.Word), v.Reverse().ToList()) : new GraphoneAligner.Pair(w.Word, v)))
            .ToList();
        progress?.Invoke($"aligning {pairs.Count:N0} train pairs ({options.AlignmentRounds} rounds)");
        var aligned = GraphoneAligner.Align(pairs, options.AlignmentRounds,
            (round, log) => progress?.Invoke($"  round {round}: log likelihood {log:N0} ({clock.Elapsed.TotalSeconds:0} s)"));
        var units = new List<Graphone>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var sentences = new List<char[]>();
        foreach (var word in aligned)
        {
            if (word is null) continue;
            sentences.Add(word.Select(g =>
            {
                var key = g.ToString();
                if (!ids.TryGetValue(key, out var id)) { ids[key] = id = units.Count; units.Add(g); }
                return Token(id);
            }).ToArray());
        }
        progress?.Invoke($"estimating a {options.Order}-gram model over {units.Count:N0} graphones ({clock.Elapsed.TotalSeconds:0} s)");
        var language = GraphoneLanguageModel.Estimate(sentences, options.Order, units.Count + 1);
        var record = new GraphoneTrainingRecord(options.Order, options.RightToLeft, options.AlignmentRounds, pairs.Count, pairs.Count - sentences.Count, units.Count,
            language.Count, Math.Round(clock.Elapsed.TotalSeconds, 1), dictionary.Source);
        return new GraphoneModel(units, language, options.RightToLeft, record);
    }

    public void Save(string path)
    {
        var temporary = path + ".part";
        using (var file = File.Create(temporary))
        using (var zip = new GZipStream(file, CompressionLevel.SmallestSize))
        using (var writer = new StreamWriter(zip, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            writer.WriteLine(Magic);
            writer.WriteLine($"order {Language.Order}");
            writer.WriteLine($"direction {(RightToLeft ? RightToLeftName : LeftToRightName)}");
            if (Training is { } t)
                writer.WriteLine($"trained {System.Text.Json.JsonSerializer.Serialize(t)}");
            writer.WriteLine($"graphones {units.Count}");
            foreach (var u in units) writer.WriteLine(u.ToString());
            writer.WriteLine($"ngrams {Language.Count}");
            // Shorter n-grams first, so a reader can check that every n-gram's context came before it.
            foreach (var (key, entry) in Language.Grams.OrderBy(g => g.Key.Length).ThenBy(g => g.Key, StringComparer.Ordinal))
                writer.WriteLine($"{Format(entry.LogProb)} {Format(entry.LogBackoff)} {string.Join(' ', key.Select(c => (int)c))}");
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static string Format(float value) => float.IsNegativeInfinity(value) ? "-inf" : value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Reads a model written by <see cref="Save"/>; anything wrong is an <see cref="InvalidDataException"/>
    /// naming the file and line.</summary>
    public static GraphoneModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no graphone model there", path);
        var line = 0;
        try
        {
            using var file = File.OpenRead(path);
            using var zip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new StreamReader(zip, Encoding.UTF8);
            string Next() { line++; return reader.ReadLine() ?? throw new InvalidDataException("the file ends early"); }
            if (Next() != Magic) throw new InvalidDataException($"not a graphone model (expected '{Magic}')");
            var order = int.Parse(Field(Next(), "order"), CultureInfo.InvariantCulture);
            var rightToLeft = Field(Next(), "direction") switch
            {
                RightToLeftName => true,
                LeftToRightName => false,
                var other => throw new InvalidDataException($"direction '{other}' is neither {LeftToRightName} nor {RightToLeftName}"),
            };
            var header = Next();
            GraphoneTrainingRecord? training = null;
            if (header.StartsWith("trained ", StringComparison.Ordinal))
            {
                training = System.Text.Json.JsonSerializer.Deserialize<GraphoneTrainingRecord>(header["trained ".Length..]);
                header = Next();
            }
            var unitCount = int.Parse(Field(header, "graphones"), CultureInfo.InvariantCulture);
            var units = new List<Graphone>(unitCount);
            for (var i = 0; i < unitCount; i++) units.Add(Graphone.Parse(Next(), $"{path}:{line}"));
            var gramCount = int.Parse(Field(Next(), "ngrams"), CultureInfo.InvariantCulture);
            var grams = new Dictionary<string, GraphoneLanguageModel.Entry>(gramCount, StringComparer.Ordinal);
            for (var i = 0; i < gramCount; i++)
            {
                var parts = Next().Split(' ');
                if (parts.Length < 3 || parts.Length - 2 > order) throw new InvalidDataException("an n-gram line needs log probability, log backoff and 1 to order tokens");
                var key = new string(parts.Skip(2).Select(p =>
                {
                    var token = int.Parse(p, CultureInfo.InvariantCulture);
                    return token >= 0 && token < unitCount + 2 ? (char)token : throw new InvalidDataException($"token {token} is not a graphone");
                }).ToArray());
                if (key.Length > 1 && !grams.ContainsKey(key[1..]))
                    throw new InvalidDataException("an n-gram comes before the shorter one it backs off to");
                grams[key] = new GraphoneLanguageModel.Entry(ParseFloat(parts[0]), ParseFloat(parts[1]));
            }
            if (reader.ReadLine() is not null) throw new InvalidDataException($"more lines than the {gramCount} n-grams the header gives");
            return new GraphoneModel(units, new GraphoneLanguageModel(order, grams), rightToLeft, training);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"{path}:{line}: {e.Message}", e);
        }
    }

    private static string Field(string line, string name) =>
        line.StartsWith(name + " ", StringComparison.Ordinal) ? line[(name.Length + 1)..] : throw new InvalidDataException($"expected '{name} N', found '{line}'");

    private static float ParseFloat(string text) =>
        text == "-inf" ? float.NegativeInfinity : float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
