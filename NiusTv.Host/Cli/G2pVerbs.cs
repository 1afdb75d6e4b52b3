using System.CommandLine;
using System.Text.Json;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Phonemes.Graphones;
using TorchSharp;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius g2p WORD…` (how the node would say each word, and from where) and `nius train g2p` (rebuild the
/// shipped g2p model from the dictionary's train split).</summary>
public static class G2pVerbs
{
    public static readonly Option<string?> ModelFolder = new("--model-dir") { Description = "g2p model folder with config.json and weights.pt (default: the shipped models/g2p)" };
    public static readonly Option<string?> Dictionary = new("--dictionary") { Description = $"CMU pronouncing dictionary (default {CmuDictionary.DebianPath})" };

    public static Command G2p()
    {
        var words = new Argument<string[]>("WORD") { Description = "words to pronounce", Arity = ArgumentArity.OneOrMore };
        var model = new Option<bool>("--model") { Description = "show the neural model's own prediction for every word, even those in the lexicon or dictionary" };
        var lexicon = new Option<string?>("--lexicon") { Description = "user lexicon (word PH PH … per line) that wins over the dictionary" };
        var cmd = new Command("g2p", "pronounce words as the node would: user lexicon, CMU dictionary, then the neural g2p model; prints each word's phones and their source")
            { words, model, lexicon, ModelFolder, Dictionary, CommonOptions.Json };
        cmd.SetAction(r =>
        {
            var pronouncer = LoadPronouncer(r.GetValue(lexicon), r.GetValue(Dictionary), r.GetValue(ModelFolder));
            var results = new List<Pronunciation>();
            foreach (var word in r.GetValue(words)!)
            {
                var key = Pronouncer.Normalize(word);
                if (key.Length == 0) throw new CliException($"WORD: '{word}' has no letters to pronounce", 2);
                results.Add(r.GetValue(model)
                    ? new Pronunciation(key, pronouncer.Model.Predict(key), PronunciationSource.Model)
                    : pronouncer.Pronounce(key));
            }
            if (r.GetValue(CommonOptions.Json))
                Console.WriteLine(JsonSerializer.Serialize(results.Select(p => new { word = p.Word, phones = p.Phones, source = p.Source.ToString().ToLowerInvariant() }),
                    new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                var table = new Table().AddColumns("word", "phones", "source");
                foreach (var p in results) table.AddRow(Markup.Escape(p.Word), string.Join(" ", p.Phones), p.Source.ToString().ToLowerInvariant());
                AnsiConsole.Write(table);
            }
            return 0;
        });
        return cmd;
    }

    public static Command Train()
    {
        var output = new Option<string?>("--out") { Description = "folder for config.json and weights.pt (default: the shipped models/g2p)" };
        var epochs = new Option<int>("--epochs") { Description = "most epochs (training stops earlier when dev WER stops improving)", DefaultValueFactory = _ => new G2pTrainingOptions().Epochs };
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch", DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount) };
        var limit = new Option<int>("--limit") { Description = "train on the first N train-split words only (timing, smoke runs); 0 = all" };
        var devLimit = new Option<int>("--dev-limit") { Description = "select on N evenly spaced dev-split words only; 0 = all" };
        var every = new Option<int>("--checkpoint-every") { Description = "also measure dev and keep the best model every N batches inside an epoch; 0 = at epoch ends only" };
        var from = new Option<string?>("--from")
        {
            Description = "go on training the model in this folder (its sizes and vocabularies) instead of starting from scratch: " +
                          "the learning rate falls along a cosine to zero over --epochs, and only a model better on dev than the one started from is saved",
        };
        var learningRate = new Option<double?>("--lr")
        {
            Description = $"peak learning rate (default {new G2pTrainingOptions().PeakLearningRate:0.####} from scratch, {G2pTrainingOptions.ContinuingLearningRate:0.####} with --from)",
        };
        var graphonesOnly = new Option<bool>("--graphones-only")
        { Description = "keep the folder's network; train only the graphone model beside it and tune how the two are weighed (about 3 minutes on 2 cores)" };
        var g2p = new Command("g2p", "train the g2p model on the CMU dictionary's train split, from scratch or going on from a trained one (--from): the neural network (dev split picks the epoch; CPU, deterministic seed), then the graphone model beside it, weighed against the network on dev")
            { output, epochs, threads, limit, devLimit, every, from, learningRate, graphonesOnly, Dictionary, CommonOptions.Json };
        g2p.SetAction((r, ct) =>
        {
            var json = r.GetValue(CommonOptions.Json);
            var folder = r.GetValue(output) ?? G2pLocations.DefaultModelFolder();
            var dictionary = LoadDictionary(r.GetValue(Dictionary));
            var options = new G2pTrainingOptions
            {
                Epochs = Positive("--epochs", r.GetValue(epochs)), Threads = Positive("--threads", r.GetValue(threads)),
                TrainLimit = r.GetValue(limit), DevLimit = r.GetValue(devLimit), CheckpointEvery = r.GetValue(every),
                ContinueFrom = r.GetValue(from),
            };
            if (r.GetValue(learningRate) is { } lr)
                options = options with { PeakLearningRate = lr > 0 && double.IsFinite(lr) ? lr : throw new CliException($"--lr: must be positive, not {lr}", 2) };
            else if (options.ContinueFrom is not null)
                options = options with { PeakLearningRate = G2pTrainingOptions.ContinuingLearningRate };
            if (options.ContinueFrom is not null && r.GetValue(graphonesOnly))
                throw new CliException("--from and --graphones-only: choose one (--graphones-only trains no network)", 2);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            if (r.GetValue(graphonesOnly))
            {
                torch.set_num_threads(options.Threads);
                G2pModel network;
                try { network = G2pModel.Load(folder); }
                catch (G2pModelException e) { throw new CliException($"--out: {e.Message}", 2); }
                using (network)
                    return Task.FromResult(TrainGraphones(network, dictionary, folder, json, clock, ct));
            }
            var epochsSeen = new List<G2pEpoch>();
            if (!json) Console.WriteLine($"training g2p on {dictionary.Source} with {options.Threads} threads into {folder}" +
                                         (options.ContinueFrom is { } f ? $", going on from {f}" : ""));
            void Report(G2pEpoch e)
            {
                epochsSeen.Add(e);
                if (json) Console.WriteLine(JsonSerializer.Serialize(new { epoch = e.Epoch, batch = e.Batch, loss = double.IsNaN(e.Loss) ? (double?)null : Math.Round(e.Loss, 4), devWer = Math.Round(e.DevWer, 4), devPer = Math.Round(e.DevPer, 4), seconds = Math.Round(e.Seconds, 1), best = e.Best }));
                else if (e.Epoch == 0) Console.WriteLine($"started from: dev WER {e.DevWer:P2}  PER {e.DevPer:P2}  ({clock.Elapsed:hh\\:mm\\:ss})");
                else Console.WriteLine($"epoch {e.Epoch,3} batch {e.Batch,4}  loss {e.Loss:0.0000}  dev WER {e.DevWer:P2}  PER {e.DevPer:P2}  {e.Seconds:0}s  step {e.Steps}{(e.Best ? "  best, saved" : "")}  ({clock.Elapsed:hh\\:mm\\:ss})");
            }
            G2pModel model;
            // The model started from is read before the output folder is touched, so a bad --from changes nothing.
            try
            {
                model = G2pTrainer.Train(dictionary, folder, options, Report, ct, b =>
                {
                    if (!json) Console.WriteLine($"  epoch {b.Epoch} batch {b.Batch}/{b.Batches}  loss {b.Loss:0.0000}  {b.WordsPerSecond:0} words/s  ({clock.Elapsed:hh\\:mm\\:ss})");
                });
            }
            catch (G2pModelException e) { throw new CliException($"--from: {e.Message}", 2); }
            using var trained = model;
            var record = model.Config.Training!;
            // Epoch 0 (the model gone on from) and mid-epoch checkpoints are not epochs run.
            var epochsRun = epochsSeen.Where(e => e.Epoch > 0).Select(e => e.Epoch).Distinct().Count();
            if (json) Console.WriteLine(JsonSerializer.Serialize(new { folder, parameters = model.Network.ParameterCount, bestEpoch = record.BestEpoch, devWer = record.DevWer, epochs = epochsRun, seconds = Math.Round(clock.Elapsed.TotalSeconds, 1) }));
            else Console.WriteLine($"best epoch {record.BestEpoch} (dev WER {record.DevWer:P2}) of {epochsRun} epochs, {model.Network.ParameterCount:N0} parameters, {clock.Elapsed:hh\\:mm\\:ss}; saved in {folder}");
            return Task.FromResult(TrainGraphones(model, dictionary, folder, json, clock, ct));
        });
        return new Command("train", "train the neural models: the shipped g2p model, a presenter's pix2pixHD anchor") { g2p, TrainPresenterVerb.Command() };
    }

    /// <summary>The graphone model beside <paramref name="network"/>, weighed against it on dev; progress as lines
    /// (JSON objects with <c>--json</c>), then a summary.</summary>
    private static int TrainGraphones(G2pModel network, CmuDictionary dictionary, string folder, bool json, System.Diagnostics.Stopwatch clock, CancellationToken ct)
    {
        var combination = GraphoneTrainer.TrainBeside(network, dictionary, folder, new GraphoneTrainingOptions(),
            line => Console.WriteLine(json ? JsonSerializer.Serialize(new { graphones = line.Trim() }) : line), ct);
        var tuning = combination.Tuning!;
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                folder, graphonesWeight = combination.GraphonesWeight, candidates = combination.Candidates, devWer = tuning.Wer,
                networkDevWer = tuning.NetworkWer, graphonesDevWer = tuning.GraphonesWer, seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            }));
        else
            Console.WriteLine($"combined dev WER {tuning.Wer:P2} (network {tuning.NetworkWer:P2}, graphones {tuning.GraphonesWer:P2}) at graphones weight " +
                              $"{combination.GraphonesWeight:0.###}; {clock.Elapsed:hh\\:mm\\:ss}; saved in {folder}");
        return 0;
    }

    private static int Positive(string name, int value) => value > 0 ? value : throw new CliException($"{name}: must be positive, not {value}", 2);

    public static CmuDictionary LoadDictionary(string? path)
    {
        try { return CmuDictionary.Load(path ?? CmuDictionary.DebianPath); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException) { throw new CliException(e.Message, 2); }
    }

    public static Pronouncer LoadPronouncer(string? lexicon, string? dictionary, string? modelFolder)
    {
        UserLexicon lex;
        try { lex = lexicon is null ? UserLexicon.Empty : UserLexicon.Load(lexicon); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException) { throw new CliException("--lexicon: " + e.Message, 2); }
        var dict = LoadDictionary(dictionary);
        try { return new Pronouncer(lex, dict, G2pModel.Load(modelFolder ?? G2pLocations.DefaultModelFolder())); }
        catch (G2pModelException e) { throw new CliException(e.Message, 2); }
    }
}
