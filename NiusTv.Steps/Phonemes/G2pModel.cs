using System.Text.Json;
using System.Text.Json.Serialization;
using NiusTv.Steps.Models;
using NiusTv.Steps.Phonemes.Graphones;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace NiusTv.Steps.Phonemes;

/// <summary>How the shipped weights were made, so <c>nius bench g2p</c> and a reader of config.json can tell.</summary>
/// <param name="Batch">Within <paramref name="BestEpoch"/>, the batch after which these weights were saved (dev is also
/// measured mid-epoch when training runs with a checkpoint interval).</param>
public sealed record G2pTrainingRecord(int Epochs, int BestEpoch, double DevWer, int TrainWords, double Seconds, int Threads, int Seed, string Dictionary)
{
    public int Batch { get; init; }
    public int Steps { get; init; }
    /// <summary>Where a GPU run trained the weights (then <paramref name="Threads"/> is 0); absent for CPU training.</summary>
    public string? Device { get; init; }
    /// <summary>The record of the model these weights went on training from (<c>nius train g2p --from</c>); absent
    /// when they were trained from scratch.</summary>
    public G2pTrainingRecord? ContinuedFrom { get; init; }
}

/// <summary><c>config.json</c> beside <c>weights.pt</c>: the vocabularies (index order matters) and the sizes the
/// weights were trained with.</summary>
public sealed record G2pConfig(
    IReadOnlyList<string> Graphemes, IReadOnlyList<string> Phones,
    int DModel, int Heads, int EncoderLayers, int DecoderLayers, int FeedForward, double Dropout, int MaxLength,
    G2pTrainingRecord? Training = null)
{
    public const string FileName = "config.json";

    // Index 0 is padding in both vocabularies; graphemes reserve 1 for a character never seen in training;
    // phones reserve 1 for begin and 2 for end of the pronunciation.
    public const int Pad = 0, UnknownGrapheme = 1, Begin = 1, End = 2;
    public int GraphemeTokens => Graphemes.Count + 2;
    public int PhoneTokens => Phones.Count + 3;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static G2pConfig Load(string path)
    {
        if (!File.Exists(path)) throw new G2pModelException($"{path}: no g2p model config there");
        G2pConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<G2pConfig>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new G2pModelException($"{path}: not a g2p config ({e.Message})", e);
        }
        if (config is null) throw new G2pModelException($"{path}: empty g2p config");
        config.Validate(path);
        return config;
    }

    public void Validate(string path)
    {
        string? bad = null;
        if (Graphemes is not { Count: > 0 }) bad = "graphemes is empty";
        else if (Phones is not { Count: > 0 }) bad = "phones is empty";
        else if (Phones.FirstOrDefault(p => !CmuDictionary.IsPhone(p)) is { } p) bad = $"phones has '{p}', not a CMU phone";
        else if (DModel <= 0 || Heads <= 0 || DModel % Heads != 0) bad = $"dModel {DModel} must be a positive multiple of heads {Heads}";
        else if (EncoderLayers <= 0 || DecoderLayers <= 0) bad = "encoderLayers and decoderLayers must be positive";
        else if (FeedForward <= 0) bad = "feedForward must be positive";
        else if (MaxLength < 8) bad = "maxLength must be at least 8";
        if (bad is not null) throw new G2pModelException($"{path}: {bad}");
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}

/// <summary>A g2p model folder that cannot be used (missing, corrupt, or weights not matching the config).</summary>
public sealed class G2pModelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Pre-norm multi-head attention, written out so the mask handling is explicit and cheap on CPU.</summary>
internal sealed class Attention : nn.Module
{
    private readonly Linear query, key, value, output;
    private readonly int heads, headSize;

    public Attention(int dModel, int heads) : base(nameof(Attention))
    {
        this.heads = heads;
        headSize = dModel / heads;
        query = nn.Linear(dModel, dModel);
        key = nn.Linear(dModel, dModel);
        value = nn.Linear(dModel, dModel);
        output = nn.Linear(dModel, dModel);
        RegisterComponents();
    }

    /// <param name="mask">Additive, broadcastable to (batch, heads, queries, keys): 0 where allowed, a large negative number where not.</param>
    public Tensor Forward(Tensor x, Tensor memory, Tensor mask)
    {
        var (b, t, s) = (x.shape[0], x.shape[1], memory.shape[1]);
        var q = query.forward(x).view(b, t, heads, headSize).transpose(1, 2);
        var k = key.forward(memory).view(b, s, heads, headSize).transpose(1, 2);
        var v = value.forward(memory).view(b, s, heads, headSize).transpose(1, 2);
        var scores = q.matmul(k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(headSize)).add_(mask);
        var mixed = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(b, t, heads * headSize);
        return output.forward(mixed);
    }
}

internal sealed class EncoderLayer : nn.Module
{
    private readonly LayerNorm norm1, norm2;
    private readonly Attention attention;
    private readonly Linear up, down;
    private readonly Dropout dropout;
    private readonly bool drops;

    // Dropout 0 (the default for the short CPU training) skips the op: it would still cost a pass over every activation.
    private Tensor Drop(Tensor x) => drops ? dropout.forward(x) : x;

    public EncoderLayer(int dModel, int heads, int ffn, double drop) : base(nameof(EncoderLayer))
    {
        norm1 = nn.LayerNorm(dModel);
        attention = new Attention(dModel, heads);
        norm2 = nn.LayerNorm(dModel);
        up = nn.Linear(dModel, ffn);
        down = nn.Linear(ffn, dModel);
        dropout = nn.Dropout(drop);
        drops = drop > 0;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor mask)
    {
        var h = norm1.forward(x);
        x = x + Drop(attention.Forward(h, h, mask));
        return x + Drop(down.forward(Drop(nn.functional.relu(up.forward(norm2.forward(x))))));
    }
}

internal sealed class DecoderLayer : nn.Module
{
    private readonly LayerNorm norm1, norm2, norm3;
    private readonly Attention self, cross;
    private readonly Linear up, down;
    private readonly Dropout dropout;
    private readonly bool drops;

    // Dropout 0 (the default for the short CPU training) skips the op: it would still cost a pass over every activation.
    private Tensor Drop(Tensor x) => drops ? dropout.forward(x) : x;

    public DecoderLayer(int dModel, int heads, int ffn, double drop) : base(nameof(DecoderLayer))
    {
        norm1 = nn.LayerNorm(dModel);
        self = new Attention(dModel, heads);
        norm2 = nn.LayerNorm(dModel);
        cross = new Attention(dModel, heads);
        norm3 = nn.LayerNorm(dModel);
        up = nn.Linear(dModel, ffn);
        down = nn.Linear(ffn, dModel);
        dropout = nn.Dropout(drop);
        drops = drop > 0;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor memory, Tensor selfMask, Tensor memoryMask)
    {
        var h = norm1.forward(x);
        x = x + Drop(self.Forward(h, h, selfMask));
        x = x + Drop(cross.Forward(norm2.forward(x), memory, memoryMask));
        return x + Drop(down.forward(Drop(nn.functional.relu(up.forward(norm3.forward(x))))));
    }
}

/// <summary>Characters → phones: a small pre-norm Transformer encoder-decoder with learned positions.</summary>
public sealed class G2pTransformer : nn.Module
{
    private const float Blocked = -1e9f;
    private readonly Embedding graphemes, phones, graphemePositions, phonePositions;
    private readonly ModuleList<EncoderLayer> encoder;
    private readonly ModuleList<DecoderLayer> decoder;
    private readonly LayerNorm encoderNorm, decoderNorm;
    private readonly Linear project;
    private readonly Dropout dropout;
    private readonly bool drops;

    // Dropout 0 (the default for the short CPU training) skips the op: it would still cost a pass over every activation.
    private Tensor Drop(Tensor x) => drops ? dropout.forward(x) : x;
    private readonly double scale;

    public G2pConfig Config { get; }

    public G2pTransformer(G2pConfig config) : base("G2pTransformer")
    {
        Config = config;
        scale = Math.Sqrt(config.DModel);
        graphemes = nn.Embedding(config.GraphemeTokens, config.DModel, padding_idx: G2pConfig.Pad);
        phones = nn.Embedding(config.PhoneTokens, config.DModel, padding_idx: G2pConfig.Pad);
        graphemePositions = nn.Embedding(config.MaxLength, config.DModel);
        phonePositions = nn.Embedding(config.MaxLength, config.DModel);
        encoder = nn.ModuleList(Enumerable.Range(0, config.EncoderLayers)
            .Select(_ => new EncoderLayer(config.DModel, config.Heads, config.FeedForward, config.Dropout)).ToArray());
        decoder = nn.ModuleList(Enumerable.Range(0, config.DecoderLayers)
            .Select(_ => new DecoderLayer(config.DModel, config.Heads, config.FeedForward, config.Dropout)).ToArray());
        encoderNorm = nn.LayerNorm(config.DModel);
        decoderNorm = nn.LayerNorm(config.DModel);
        project = nn.Linear(config.DModel, config.PhoneTokens);
        dropout = nn.Dropout(config.Dropout);
        drops = config.Dropout > 0;
        RegisterComponents();
        foreach (var (name, p) in named_parameters())
            if (p.dim() > 1 && !name.Contains("Positions")) nn.init.xavier_uniform_(p);
        using (no_grad())
        {
            graphemes.weight![G2pConfig.Pad].zero_();
            phones.weight![G2pConfig.Pad].zero_();
            graphemePositions.weight!.normal_(0, 0.02);
            phonePositions.weight!.normal_(0, 0.02);
        }
    }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>(batch, source) grapheme ids → memory (batch, source, dModel) and its additive key mask (batch, 1, 1, source).</summary>
    public (Tensor Memory, Tensor Mask) Encode(Tensor source)
    {
        var positions = arange(source.shape[1], dtype: int64);
        var x = Drop(graphemes.forward(source).mul(scale).add(graphemePositions.forward(positions)));
        var mask = zeros(source.shape[0], 1, 1, source.shape[1]).masked_fill(source.eq(G2pConfig.Pad).view(source.shape[0], 1, 1, -1), Blocked);
        foreach (var layer in encoder) x = layer.Forward(x, mask);
        return (encoderNorm.forward(x), mask);
    }

    /// <summary>(batch, target) phone ids so far → logits (batch, target, phones) for the next phone at each place.</summary>
    public Tensor Decode(Tensor memory, Tensor memoryMask, Tensor target)
    {
        var t = target.shape[1];
        var positions = arange(t, dtype: int64);
        var x = Drop(phones.forward(target).mul(scale).add(phonePositions.forward(positions)));
        var causal = ones(t, t).triu(1).mul(Blocked).view(1, 1, t, t);
        foreach (var layer in decoder) x = layer.Forward(x, memory, causal, memoryMask);
        return project.forward(decoderNorm.forward(x));
    }

    public Tensor Forward(Tensor source, Tensor target)
    {
        var (memory, mask) = Encode(source);
        return Decode(memory, mask, target);
    }
}

/// <summary>The trained model with its vocabularies: words in, phones out. Thread-safe (one call at a time), since
/// the node shares one instance between every story.</summary>
public sealed class G2pModel : IDisposable
{
    public const string WeightsFile = "weights.pt";
    private readonly object gate = new();
    private readonly Dictionary<char, long> graphemeIds;
    private readonly Dictionary<string, long> phoneIds;

    public G2pTransformer Network { get; }
    public G2pConfig Config => Network.Config;
    public string Folder { get; }

    private readonly Lazy<GraphoneModel>? graphones;

    /// <summary>How the network and the graphone model are weighed, when the folder has a graphone model
    /// (<see cref="G2pCombination"/>); null when the network decides alone.</summary>
    public G2pCombination? Combination { get; }

    /// <summary>The joint-sequence model beside the network, read from its file the first time a word needs it (a
    /// node that only says dictionary words never loads it); null when the folder has none.</summary>
    public GraphoneModel? Graphones => graphones?.Value;

    public G2pModel(G2pTransformer network, string folder, G2pCombination? combination = null)
    {
        Network = network;
        Folder = folder;
        Combination = combination;
        if (combination is not null)
        {
            var path = Path.Combine(folder, GraphoneModel.FileName);
            graphones = new Lazy<GraphoneModel>(() =>
            {
                try { return GraphoneModel.Load(path); }
                catch (Exception e) when (e is InvalidDataException or IOException) { throw new G2pModelException(e.Message, e); }
            });
        }
        graphemeIds = network.Config.Graphemes.Select((g, i) => (g, i)).ToDictionary(x => x.g[0], x => (long)x.i + 2);
        phoneIds = network.Config.Phones.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => (long)x.i + 3);
        network.eval();
    }

    /// <summary>Loads <c>config.json</c> and <c>weights.pt</c> from <paramref name="folder"/>; anything wrong is a
    /// <see cref="G2pModelException"/> naming the file.</summary>
    public static G2pModel Load(string folder)
    {
        var config = G2pConfig.Load(Path.Combine(folder, G2pConfig.FileName));
        var weights = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weights)) throw new G2pModelException($"{weights}: no g2p weights there (nius train g2p --out {folder} makes them)");
        var network = new G2pTransformer(config);
        try
        {
            StateDict.LoadInto(network, weights);
        }
        catch (CheckpointException e)
        {
            network.Dispose();
            throw new G2pModelException(e.Message, e);
        }
        G2pCombination? combination;
        try { combination = G2pCombination.LoadFrom(folder); }
        catch
        {
            network.Dispose();
            throw;
        }
        return new G2pModel(network, folder, combination);
    }

    public void Save(string folder)
    {
        SaveWeights(folder);
        Config.Save(Path.Combine(folder, G2pConfig.FileName));
    }

    /// <summary>The network's weights in float16, as the shipped ones are: half the size in git, and
    /// <see cref="Load"/> widens them to float32. Written beside and then moved, so an interrupted save leaves the
    /// previous weights whole.</summary>
    public void SaveWeights(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, WeightsFile);
        using (var scope = NewDisposeScope())
        {
            var half = Network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().to(ScalarType.Float16));
            using var stream = File.Create(path + ".partial");
            PyTorchPickler.PickleStateDict(stream, half);
        }
        File.Move(path + ".partial", path, overwrite: true);
    }

    /// <summary>Grapheme ids of a word: the characters the model knows, unknown ones as one shared id, cut to the
    /// longest input the positions cover.</summary>
    public long[] Encode(string word)
    {
        var chars = word.Length > Config.MaxLength ? word[..Config.MaxLength] : word;
        return chars.Select(c => graphemeIds.GetValueOrDefault(c, G2pConfig.UnknownGrapheme)).ToArray();
    }

    /// <summary>Phone ids of a pronunciation (every phone must be one of the model's).</summary>
    public long[] EncodePhones(IReadOnlyList<string> phones) => phones.Select(p => phoneIds[p]).ToArray();

    public IReadOnlyList<string> Predict(string word) => PredictBatch([word])[0];

    /// <summary>The model's pronunciation of each word: with a graphone model, the candidate the two models together
    /// like best (<see cref="G2pCombination"/>); without one, the network's greedy decoding.</summary>
    public IReadOnlyList<string>[] PredictBatch(IReadOnlyList<string> words, int batchSize = 256) =>
        Combination is { } combination && Graphones is { } joint
            ? Choose(Weigh(words, PredictNetwork(words, batchSize), joint, combination.Candidates), combination)
            : PredictNetwork(words, batchSize);

    /// <summary>Every candidate for every word, with both models' log probabilities: the graphone model's best
    /// <paramref name="candidates"/> and the network's greedy guess, each scored by the other model too.</summary>
    public IReadOnlyList<G2pWeighedCandidate>[] Weigh(IReadOnlyList<string> words, IReadOnlyList<string>[] networkGuesses, GraphoneModel joint, int candidates)
    {
        var lists = new List<(IReadOnlyList<string> Phones, double Graphones)>[words.Count];
        Parallel.For(0, words.Count, i =>
        {
            var list = joint.Candidates(words[i], candidates).Select(c => (c.Phones, c.LogProb)).ToList();
            if (!list.Any(c => c.Phones.SequenceEqual(networkGuesses[i])))
                list.Add((networkGuesses[i], joint.LogProbOf(words[i], networkGuesses[i])));
            lists[i] = list;
        });
        var flat = lists.SelectMany((list, i) => list.Select(c => (words[i], c.Phones))).ToList();
        var network = LogProbs(flat);
        var result = new IReadOnlyList<G2pWeighedCandidate>[words.Count];
        var k = 0;
        for (var i = 0; i < words.Count; i++)
            result[i] = lists[i].Select(c => new G2pWeighedCandidate(c.Phones, c.Graphones, network[k++])).ToList();
        return result;
    }

    public static IReadOnlyList<string>[] Choose(IReadOnlyList<G2pWeighedCandidate>[] weighed, G2pCombination combination) =>
        weighed.Select(list => list.MaxBy(combination.Score)!.Phones).ToArray();

    /// <summary>Greedy decoding by the network alone, many words at once, batched by length (much faster per word than
    /// one at a time).</summary>
    public IReadOnlyList<string>[] PredictNetwork(IReadOnlyList<string> words, int batchSize = 256)
    {
        var result = new IReadOnlyList<string>[words.Count];
        var order = Enumerable.Range(0, words.Count).OrderBy(i => words[i].Length).ToArray();
        lock (gate)
        {
            for (var start = 0; start < order.Length; start += batchSize)
            {
                var chunk = order.Skip(start).Take(batchSize).ToArray();
                var decoded = Greedy(chunk.Select(i => Encode(words[i])).ToArray());
                for (var j = 0; j < chunk.Length; j++) result[chunk[j]] = decoded[j];
            }
        }
        return result;
    }

    /// <summary>Natural-log probability the network gives each word said as the paired phones (teacher-forced: one
    /// pass per batch, no search), for weighing candidates from another model. Phones outside the model's set make a
    /// pair impossible (negative infinity).</summary>
    public double[] LogProbs(IReadOnlyList<(string Word, IReadOnlyList<string> Phones)> pairs, int batchSize = 512)
    {
        var result = new double[pairs.Count];
        var order = Enumerable.Range(0, pairs.Count).OrderBy(i => pairs[i].Word.Length).ThenBy(i => pairs[i].Phones.Count).ToArray();
        lock (gate)
        {
            var training = Network.training;
            Network.eval();
            try
            {
                for (var start = 0; start < order.Length; start += batchSize)
                {
                    using var scope = NewDisposeScope();
                    using var _ = no_grad();
                    var chunk = new List<int>();
                    foreach (var i in order.AsSpan(start, Math.Min(batchSize, order.Length - start)))
                        if (pairs[i].Phones.All(phoneIds.ContainsKey)) chunk.Add(i);
                        else result[i] = double.NegativeInfinity;
                    if (chunk.Count == 0) continue;
                    var targets = chunk.Select(i => EncodePhones(pairs[i].Phones.Take(Config.MaxLength - 2).ToList())).ToArray();
                    var src = G2pBatches.Pad(chunk.Select(i => Encode(pairs[i].Word)).ToArray());
                    var tgtIn = G2pBatches.Pad(targets.Select(t => (long[])[G2pConfig.Begin, .. t]).ToArray());
                    var tgtOut = G2pBatches.Pad(targets.Select(t => (long[])[.. t, G2pConfig.End]).ToArray());
                    var logProbs = nn.functional.log_softmax(Network.Forward(src, tgtIn), -1).gather(-1, tgtOut.unsqueeze(-1)).squeeze(-1);
                    var sums = logProbs.masked_fill(tgtOut.eq(G2pConfig.Pad), 0).sum(1).to_type(float64).data<double>().ToArray();
                    for (var j = 0; j < chunk.Count; j++) result[chunk[j]] = sums[j];
                }
            }
            finally
            {
                Network.train(training);
            }
        }
        return result;
    }

    private string[][] Greedy(long[][] sources)
    {
        var training = Network.training;
        Network.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var src = G2pBatches.Pad(sources);
            var (memory, mask) = Network.Encode(src);
            var n = sources.Length;
            var longest = Math.Min(Config.MaxLength - 1, sources.Max(s => s.Length) + 10);
            var ys = full(n, 1, G2pConfig.Begin, dtype: int64);
            var done = zeros(n, dtype: @bool);
            for (var step = 0; step < longest; step++)
            {
                var next = Network.Decode(memory, mask, ys)[.., -1].argmax(-1);
                next = next.masked_fill(done, G2pConfig.Pad);
                ys = cat([ys, next.unsqueeze(1)], 1);
                done = done.logical_or(next.eq(G2pConfig.End));
                if (done.all().item<bool>()) break;
            }
            var ids = ys.data<long>().ToArray();
            var width = (int)ys.shape[1];
            var output = new string[n][];
            for (var i = 0; i < n; i++)
            {
                var phones = new List<string>();
                for (var j = 1; j < width; j++)
                {
                    var id = ids[i * width + j];
                    if (id == G2pConfig.End || id == G2pConfig.Pad) break;
                    if (id >= 3) phones.Add(Config.Phones[(int)id - 3]);
                }
                output[i] = phones.ToArray();
            }
            return output;
        }
        finally
        {
            Network.train(training);
        }
    }

    public void Dispose() => Network.Dispose();
}

internal static class G2pBatches
{
    public static Tensor Pad(IReadOnlyList<long[]> rows)
    {
        var width = Math.Max(1, rows.Max(r => r.Length));
        var data = new long[rows.Count * width];
        for (var i = 0; i < rows.Count; i++) Array.Copy(rows[i], 0, data, i * width, rows[i].Length);
        return tensor(data, [rows.Count, width], int64);
    }
}

/// <summary>A candidate pronunciation with the natural-log probability each model gives it.</summary>
public sealed record G2pWeighedCandidate(IReadOnlyList<string> Phones, double Graphones, double Network);

/// <summary><c>combination.json</c>: how a graphone model beside the network is used. A word's candidates are the
/// graphone model's best <see cref="Candidates"/> and the network's greedy guess; the chosen one maximises
/// <c>GraphonesWeight × log P_graphones + (1 − GraphonesWeight) × log P_network</c>. The weight is tuned on the dev split
/// (<see cref="Tuning"/> records how), never on test.</summary>
public sealed record G2pCombination(double GraphonesWeight, int Candidates, G2pCombinationTuning? Tuning = null)
{
    public const string FileName = "combination.json";

    /// <summary>A graphone log probability can be minus infinity (no cut says the network's guess); it then counts
    /// as this, so the network can still carry a word on its own.</summary>
    public const double Floor = -1000;

    public double Score(G2pWeighedCandidate c) =>
        GraphonesWeight * Math.Max(c.Graphones, Floor) + (1 - GraphonesWeight) * Math.Max(c.Network, Floor);

    /// <summary>The combination in <paramref name="folder"/>, or null when it has neither file; one file without
    /// the other is an error naming the missing one.</summary>
    public static G2pCombination? LoadFrom(string folder)
    {
        var path = Path.Combine(folder, FileName);
        var graphones = Path.Combine(folder, GraphoneModel.FileName);
        if (!File.Exists(path) && !File.Exists(graphones)) return null;
        if (!File.Exists(path)) throw new G2pModelException($"{path}: missing beside {graphones} (nius train g2p --graphones-only --out {folder} makes both)");
        if (!File.Exists(graphones)) throw new G2pModelException($"{graphones}: missing beside {path} (nius train g2p --graphones-only --out {folder} makes both)");
        G2pCombination? combination;
        try { combination = JsonSerializer.Deserialize<G2pCombination>(File.ReadAllText(path), G2pConfig.Json); }
        catch (JsonException e) { throw new G2pModelException($"{path}: not a g2p combination ({e.Message})", e); }
        if (combination is null) throw new G2pModelException($"{path}: empty g2p combination");
        if (combination.GraphonesWeight is < 0 or > 1 || double.IsNaN(combination.GraphonesWeight))
            throw new G2pModelException($"{path}: graphonesWeight {combination.GraphonesWeight} is outside 0–1");
        if (combination.Candidates is < 1 or > 100) throw new G2pModelException($"{path}: candidates {combination.Candidates} is outside 1–100");
        return combination;
    }

    public void Save(string folder) => File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, G2pConfig.Json));
}

/// <param name="Words">Dev-split words the weight was tuned on.</param>
/// <param name="Wer">Dev WER of the combination at that weight; <paramref name="NetworkWer"/> and
/// <paramref name="GraphonesWer"/> are each model's alone on the same words.</param>
public sealed record G2pCombinationTuning(int Words, double Wer, double NetworkWer, double GraphonesWer, double Seconds);
