using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Host.Cli;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Phonemes.Graphones;
using Spectre.Console;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench g2p`: the shipped g2p model's word and phone error rates on the dictionary's held-out test
/// split (and dev, which picked the epoch and the weighing), and how many words per second it pronounces, batched and
/// one by one. With a graphone model beside the network, each split is also scored for each model alone.</summary>
public static class G2pBench
{
    /// <param name="Decoder">"combined" (what the node says), "network" (greedy, alone) or "graphones" (alone).</param>
    public sealed record SplitScore(string Split, string Decoder, int Words, double Wer, double Per, double WordsPerSecond);
    public sealed record Report(string Machine, int Cores, int Threads, string Model, long Parameters, G2pTrainingRecord? Training,
        G2pCombination? Combination, IReadOnlyList<SplitScore> Splits, double SingleWordsPerSecond, double SingleWordMilliseconds);

    public static Command Command()
    {
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch", DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount) };
        var single = new Option<int>("--single") { Description = "how many test words to time one at a time", DefaultValueFactory = _ => 200 };
        var cmd = new Command("g2p", "g2p model: WER and PER on the test split (and dev), words per second batched and single-word")
            { G2pVerbs.ModelFolder, G2pVerbs.Dictionary, threads, single, CommonOptions.Json };
        cmd.SetAction(r =>
        {
            var json = r.GetValue(CommonOptions.Json);
            TorchSharp.torch.set_num_threads(r.GetValue(threads));
            var dictionary = G2pVerbs.LoadDictionary(r.GetValue(G2pVerbs.Dictionary));
            var folder = r.GetValue(G2pVerbs.ModelFolder) ?? G2pLocations.DefaultModelFolder();
            G2pModel model;
            try { model = G2pModel.Load(folder); }
            catch (G2pModelException e) { throw new CliException(e.Message, 2); }
            using var _ = model;
            var splits = new List<SplitScore>();
            GraphoneModel? graphones;
            try { graphones = model.Graphones; }
            catch (G2pModelException e) { throw new CliException(e.Message, 2); }
            var decoders = new List<(string Name, Func<IReadOnlyList<string>, IReadOnlyList<string>[]>? Predict)> { ("combined", null) };
            if (graphones is not null)
            {
                decoders.Add(("network", w => model.PredictNetwork(w)));
                decoders.Add(("graphones", w => Graphones(graphones, w)));
            }
            foreach (var split in new[] { G2pSplit.Test, G2pSplit.Dev })
            foreach (var (name, predict) in decoders)
            {
                var label = graphones is null ? "network" : name;
                if (!json) Console.Error.WriteLine($"bench: decoding the {split.ToString().ToLowerInvariant()} split ({label})…");
                var score = G2pScore.Measure(model, G2pSplits.Select(dictionary, split), predict);
                splits.Add(new SplitScore(split.ToString().ToLowerInvariant(), label, score.Words, Math.Round(score.Wer, 4), Math.Round(score.Per, 4), Math.Round(score.WordsPerSecond, 1)));
            }
            var sample = G2pSplits.Select(dictionary, G2pSplit.Test).Where((_, i) => i % 37 == 0).Take(Math.Max(1, r.GetValue(single))).Select(w => w.Word).ToList();
            model.Predict(sample[0]);
            var clock = Stopwatch.StartNew();
            foreach (var word in sample) model.Predict(word);
            var perWord = clock.Elapsed.TotalSeconds / sample.Count;
            var report = new Report(Environment.MachineName, Environment.ProcessorCount, r.GetValue(threads), Path.GetFullPath(folder),
                model.Network.ParameterCount, model.Config.Training, model.Combination, splits, Math.Round(1 / perWord, 1), Math.Round(perWord * 1000, 2));
            if (json) Console.WriteLine(JsonSerializer.Serialize(report, G2pConfig.Json));
            else
            {
                var table = new Table().AddColumns("split", "decoder", "words", "WER", "PER", "words/s (batched)");
                foreach (var s in splits) table.AddRow(s.Split, s.Decoder, s.Words.ToString(), $"{s.Wer:P2}", $"{s.Per:P2}", $"{s.WordsPerSecond:0}");
                AnsiConsole.Write(table);
                Console.WriteLine($"single word: {report.SingleWordMilliseconds:0.0} ms ({report.SingleWordsPerSecond:0} words/s); " +
                                  $"{report.Parameters:N0} parameters, {report.Threads} threads, {report.Cores} cores ({report.Machine})");
                if (report.Training is { } t)
                    Console.WriteLine($"network trained: best epoch {t.BestEpoch} (dev WER {t.DevWer:P2} on the selection sample), {t.TrainWords} train words, {t.Seconds:0} s {(t.Device is { } device ? $"on {device}" : $"with {t.Threads} threads")}, seed {t.Seed}");
            }
            if (!json && report.Combination is { } c)
                Console.WriteLine($"combined: graphones weight {c.GraphonesWeight:0.###}, {c.Candidates} graphone candidates and the network's guess per word" +
                                  (c.Tuning is { } t2 ? $" (tuned on {t2.Words:N0} dev words: {t2.Wer:P2})" : ""));
            return 0;
        });
        return cmd;
    }

    private static IReadOnlyList<string>[] Graphones(GraphoneModel graphones, IReadOnlyList<string> words)
    {
        var result = new IReadOnlyList<string>[words.Count];
        Parallel.For(0, words.Count, i => result[i] = graphones.Candidates(words[i]).FirstOrDefault()?.Phones ?? []);
        return result;
    }
}
