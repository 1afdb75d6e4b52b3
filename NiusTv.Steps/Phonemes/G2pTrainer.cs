using System.Diagnostics;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace NiusTv.Steps.Phonemes;

/// <summary>Word and phone error rates against a dictionary split; a word with variants is right when the
/// prediction equals any of them, and its phone errors are counted against the closest one.</summary>
public sealed record G2pScore(int Words, int WrongWords, int Phones, int PhoneErrors, double Seconds)
{
    public double Wer => Words == 0 ? 0 : (double)WrongWords / Words;
    public double Per => Phones == 0 ? 0 : (double)PhoneErrors / Phones;
    public double WordsPerSecond => Seconds <= 0 ? 0 : Words / Seconds;

    /// <param name="predict">How the words are said (default: the model's own choice, combined when it has graphones).</param>
    public static G2pScore Measure(G2pModel model, IReadOnlyList<(string Word, IReadOnlyList<IReadOnlyList<string>> Variants)> words,
        Func<IReadOnlyList<string>, IReadOnlyList<string>[]>? predict = null)
    {
        var clock = Stopwatch.StartNew();
        var predictions = (predict ?? (w => model.PredictBatch(w)))(words.Select(w => w.Word).ToList());
        var seconds = clock.Elapsed.TotalSeconds;
        int wrong = 0, phones = 0, errors = 0;
        for (var i = 0; i < words.Count; i++)
        {
            var (distance, length) = words[i].Variants.Select(v => (d: EditDistance(predictions[i], v), l: v.Count)).MinBy(x => x.d);
            if (distance > 0) wrong++;
            phones += length;
            errors += distance;
        }
        return new G2pScore(words.Count, wrong, phones, errors, seconds);
    }

    public static int EditDistance(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = Enumerable.Range(0, b.Count + 1).ToArray();
        var current = new int[b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Count; j++)
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}

public sealed record G2pTrainingOptions
{
    public int Epochs { get; init; } = 30;
    public int Threads { get; init; } = 2;
    public int Seed { get; init; } = 20261124;
    public int DModel { get; init; } = 128;
    public int Heads { get; init; } = 4;
    public int EncoderLayers { get; init; } = 2;
    public int DecoderLayers { get; init; } = 2;
    public int FeedForward { get; init; } = 256;
    public double Dropout { get; init; } = 0.0;
    public double LabelSmoothing { get; init; } = 0.1;
    public double PeakLearningRate { get; init; } = 2.5e-3;
    public int WarmupSteps { get; init; } = 150;
    /// <summary>Grapheme plus phone tokens per batch: batches of similar-length words, so little is padding.</summary>
    public int TokensPerBatch { get; init; } = 3000;
    /// <summary>Stop when dev WER has not improved for this many epochs (from scratch only).</summary>
    public int Patience { get; init; } = 6;
    /// <summary>Also measure dev (and keep the best model) every N batches inside an epoch (0 = at epoch ends only):
    /// on a shared CPU one epoch can take most of the time there is.</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Use only the first N training words (0 = all): for smoke tests and timing.</summary>
    public int TrainLimit { get; init; }
    /// <summary>Select on N evenly spaced dev words only (0 = all): decoding the whole dev split every epoch costs as much as a fifth of an epoch.</summary>
    public int DevLimit { get; init; }
    /// <summary>A trained model folder to go on training (its sizes and vocabularies are kept; null = from scratch).
    /// The learning rate then warms up to <see cref="PeakLearningRate"/> and falls to zero along a cosine over
    /// <see cref="Epochs"/>, and only a model better on dev than the one started from is saved.</summary>
    public string? ContinueFrom { get; init; }

    /// <summary>The peak learning rate going on from a trained model: about a tenth of the from-scratch one, so the
    /// first steps do not throw away what was learnt (the shipped network went on at this rate).</summary>
    public const double ContinuingLearningRate = 2e-4;
}

/// <summary>Progress inside an epoch, every few dozen batches: a full epoch is minutes on a shared CPU.</summary>
public sealed record G2pBatchProgress(int Epoch, int Batch, int Batches, double Loss, double WordsPerSecond);

/// <param name="Batch">Batches of the epoch done when dev was measured (all of them at the end of an epoch).</param>
public sealed record G2pEpoch(int Epoch, double Loss, double DevWer, double DevPer, double Seconds, bool Best, int Steps)
{
    public int Batch { get; init; }
}

/// <summary>Trains the g2p Transformer on the train split, picking the epoch with the lowest dev WER and saving it
/// to the output folder as soon as it is found (so an interrupted run still leaves the best model so far).</summary>
public static class G2pTrainer
{
    public static G2pModel Train(CmuDictionary dictionary, string outFolder, G2pTrainingOptions options, Action<G2pEpoch>? progress = null, CancellationToken ct = default,
        Action<G2pBatchProgress>? batchProgress = null)
    {
        torch.set_num_threads(options.Threads);
        torch.manual_seed(options.Seed);
        var random = new Random(options.Seed);
        var clock = Stopwatch.StartNew();

        var train = G2pSplits.Select(dictionary, G2pSplit.Train);
        var dev = G2pSplits.Select(dictionary, G2pSplit.Dev);
        if (options.TrainLimit > 0) train = train.Take(options.TrainLimit).ToList();
        // An evenly spaced sample, so every initial letter is represented.
        if (options.DevLimit > 0 && options.DevLimit < dev.Count)
        {
            var every = (double)dev.Count / options.DevLimit;
            dev = Enumerable.Range(0, options.DevLimit).Select(i => dev[(int)(i * every)]).ToList();
        }
        G2pModel model;
        G2pTrainingRecord? startedFrom = null;
        if (options.ContinueFrom is { } from)
        {
            using var trained = G2pModel.Load(from);
            startedFrom = trained.Config.Training;
            // A fresh network with the trained one's weights: the folder's graphone model is not ours to keep.
            model = new G2pModel(new G2pTransformer(trained.Config), outFolder);
            model.Network.load_state_dict(trained.Network.state_dict());
        }
        else
        {
            var graphemes = train.SelectMany(w => w.Word).Distinct().Order().Select(c => c.ToString()).ToList();
            var maxLength = Math.Max(32, train.Max(w => Math.Max(w.Word.Length, w.Variants.Max(v => v.Count)) + 2));
            model = new G2pModel(new G2pTransformer(new G2pConfig(graphemes, CmuDictionary.PhoneSet, options.DModel, options.Heads,
                options.EncoderLayers, options.DecoderLayers, options.FeedForward, options.Dropout, maxLength + 8)), outFolder);
        }
        var network = model.Network;
        var config = model.Config;
        // A new network makes the weighing tuned for the old one wrong: both files go, and the caller tunes anew.
        Directory.CreateDirectory(outFolder);
        foreach (var stale in new[] { G2pCombination.FileName, Graphones.GraphoneModel.FileName })
            File.Delete(Path.Combine(outFolder, stale));

        // Every variant is a training pair: the model learns the spread, and the metric accepts any variant.
        var pairs = train.SelectMany(w => w.Variants.Select(v => (Source: model.Encode(w.Word), Target: model.EncodePhones(v)))).ToList();
        var optimizer = optim.Adam(network.parameters(), lr: options.PeakLearningRate, beta1: 0.9, beta2: 0.98, eps: 1e-9);
        var step = 0;
        var best = double.MaxValue;
        var bestEpoch = 0;
        var sinceBest = 0;
        var totalSteps = 0;

        // Measures dev and saves the model when it is the best so far.
        void Checkpoint(int epoch, int batch, double loss, Stopwatch epochClock)
        {
            var score = G2pScore.Measure(model, dev);
            var improved = score.Wer < best;
            if (improved)
            {
                best = score.Wer;
                bestEpoch = epoch;
                SaveWith(model, outFolder, new G2pTrainingRecord(epoch, epoch, Math.Round(score.Wer, 5), train.Count,
                    Math.Round(clock.Elapsed.TotalSeconds, 1), options.Threads, options.Seed, dictionary.Source)
                    { Batch = batch, Steps = step, ContinuedFrom = startedFrom });
            }
            progress?.Invoke(new G2pEpoch(epoch, loss, score.Wer, score.Per, epochClock.Elapsed.TotalSeconds, improved, step) { Batch = batch });
        }

        if (options.ContinueFrom is not null)
        {
            // Epoch 0 is the model started from: it is what the output folder holds until dev says a later one is better.
            network.eval();
            Checkpoint(0, 0, double.NaN, Stopwatch.StartNew());
        }

        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            network.train();
            double lossSum = 0;
            var batches = Batches(pairs, options.TokensPerBatch, random);
            if (totalSteps == 0) totalSteps = options.Epochs * batches.Count;
            var done = 0;
            var pairsDone = 0;
            foreach (var batch in batches)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                step++;
                var lr = LearningRate(options, step, totalSteps);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                var src = G2pBatches.Pad(batch.Select(p => p.Source).ToArray());
                var tgtIn = G2pBatches.Pad(batch.Select(p => (long[])[G2pConfig.Begin, .. p.Target]).ToArray());
                var tgtOut = G2pBatches.Pad(batch.Select(p => (long[])[.. p.Target, G2pConfig.End]).ToArray());
                var logits = network.Forward(src, tgtIn);
                var loss = nn.functional.cross_entropy(logits.view(-1, config.PhoneTokens), tgtOut.view(-1),
                    ignore_index: G2pConfig.Pad, label_smoothing: options.LabelSmoothing);
                optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(network.parameters(), 1.0);
                optimizer.step();
                lossSum += loss.item<float>();
                done++;
                pairsDone += batch.Count;
                if (done % 25 == 0)
                    batchProgress?.Invoke(new G2pBatchProgress(epoch, done, batches.Count, lossSum / done, pairsDone / epochClock.Elapsed.TotalSeconds));
                if (options.CheckpointEvery > 0 && done % options.CheckpointEvery == 0 && done < batches.Count)
                    Checkpoint(epoch, done, lossSum / done, epochClock);
            }
            // Patience counts whole epochs: mid-epoch checkpoints on a small dev sample are too noisy to stop on.
            var bestBefore = best;
            Checkpoint(epoch, batches.Count, lossSum / batches.Count, epochClock);
            sinceBest = best < bestBefore || bestEpoch == epoch ? 0 : sinceBest + 1;
            // Going on from a trained model runs every planned epoch: the first ones, at the peak rate, are usually worse
            // than the start, and the gain comes as the cosine settles.
            if (options.ContinueFrom is null && sinceBest >= options.Patience) break;
        }
        network.Dispose();
        // The best epoch's weights, as saved, are the result (not the last epoch's).
        var result = G2pModel.Load(outFolder);
        return result;
    }

    /// <summary>From scratch: warm-up, then the inverse square root. Going on from a trained model: warm-up, then a
    /// cosine to zero at the last planned step, since what is left to gain there is settling into a minimum.</summary>
    public static double LearningRate(G2pTrainingOptions options, int step, int totalSteps)
    {
        var warm = Math.Min(1, step / (double)options.WarmupSteps);
        if (options.ContinueFrom is null) return options.PeakLearningRate * Math.Min(warm, Math.Sqrt(options.WarmupSteps / (double)step));
        var progress = Math.Clamp(step / (double)Math.Max(1, totalSteps), 0, 1);
        return options.PeakLearningRate * warm * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    private static void SaveWith(G2pModel model, string folder, G2pTrainingRecord record)
    {
        model.SaveWeights(folder);
        (model.Config with { Training = record }).Save(Path.Combine(folder, G2pConfig.FileName));
    }

    /// <summary>Pairs sorted by length with a little seeded noise, cut into batches of about
    /// <paramref name="tokens"/> tokens, in shuffled order.</summary>
    private static List<List<(long[] Source, long[] Target)>> Batches(List<(long[] Source, long[] Target)> pairs, int tokens, Random random)
    {
        var keyed = pairs.Select(p => (Pair: p, Key: p.Source.Length + p.Target.Length + random.NextDouble() * 2)).OrderBy(x => x.Key).Select(x => x.Pair).ToList();
        var batches = new List<List<(long[], long[])>>();
        var current = new List<(long[], long[])>();
        var width = 0;
        foreach (var pair in keyed)
        {
            var w = Math.Max(width, pair.Source.Length + pair.Target.Length + 1);
            if (current.Count > 0 && w * (current.Count + 1) > tokens)
            {
                batches.Add(current);
                current = [];
                w = pair.Source.Length + pair.Target.Length + 1;
            }
            current.Add(pair);
            width = w;
        }
        if (current.Count > 0) batches.Add(current);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }
}
