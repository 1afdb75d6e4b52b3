using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Host.Cli;
using NiusTv.Steps.Phonemes;
using Spectre.Console;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench g2p`: the shipped g2p model's word and phone error rates on the dictionary's held-out test
/// split (and dev, which picked the epoch), and how many words per second it pronounces, batched and one by one.</summary>
public static class G2pBench
{
    public sealed record SplitScore(string Split, int Words, double Wer, double Per, double WordsPerSecond);
    public sealed record Report(string Machine, int Cores, int Threads, string Model, long Parameters, G2pTrainingRecord? Training,
        IReadOnlyList<SplitScore> Splits, double SingleWordsPerSecond, double SingleWordMilliseconds);

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
            foreach (var split in new[] { G2pSplit.Test, G2pSplit.Dev })
            {
                if (!json) Console.Error.WriteLine($"bench: decoding the {split.ToString().ToLowerInvariant()} split…");
                var score = G2pScore.Measure(model, G2pSplits.Select(dictionary, split));
                splits.Add(new SplitScore(split.ToString().ToLowerInvariant(), score.Words, Math.Round(score.Wer, 4), Math.Round(score.Per, 4), Math.Round(score.WordsPerSecond, 1)));
            }
            var sample = G2pSplits.Select(dictionary, G2pSplit.Test).Where((_, i) => i % 37 == 0).Take(Math.Max(1, r.GetValue(single))).Select(w => w.Word).ToList();
            model.Predict(sample[0]);
            var clock = Stopwatch.StartNew();
            foreach (var word in sample) model.Predict(word);
            var perWord = clock.Elapsed.TotalSeconds / sample.Count;
            var report = new Report(Environment.MachineName, Environment.ProcessorCount, r.GetValue(threads), Path.GetFullPath(folder),
                model.Network.ParameterCount, model.Config.Training, splits, Math.Round(1 / perWord, 1), Math.Round(perWord * 1000, 2));
            if (json) Console.WriteLine(JsonSerializer.Serialize(report, G2pConfig.Json));
            else
            {
                var table = new Table().AddColumns("split", "words", "WER", "PER", "words/s (batched)");
                foreach (var s in splits) table.AddRow(s.Split, s.Words.ToString(), $"{s.Wer:P2}", $"{s.Per:P2}", $"{s.WordsPerSecond:0}");
                AnsiConsole.Write(table);
                Console.WriteLine($"single word: {report.SingleWordMilliseconds:0.0} ms ({report.SingleWordsPerSecond:0} words/s); " +
                                  $"{report.Parameters:N0} parameters, {report.Threads} threads, {report.Cores} cores ({report.Machine})");
                if (report.Training is { } t)
                    Console.WriteLine($"trained: best epoch {t.BestEpoch} (dev WER {t.DevWer:P2} on the selection sample), {t.TrainWords} train words, {t.Seconds:0} s {(t.Device is { } device ? $"on {device}" : $"with {t.Threads} threads")}, seed {t.Seed}");
            }
            return 0;
        });
        return cmd;
    }
}
