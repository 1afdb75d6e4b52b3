using System.Diagnostics;

namespace NiusTv.Steps.Phonemes.Graphones;

/// <summary>Trains the graphone model beside a folder's network and tunes how the two are weighed on the dev split:
/// writes <c>graphones.txt.gz</c>, <c>combination.json</c> and <c>graphones.log</c> (every progress line). Test words
/// are never seen by either step.</summary>
public static class GraphoneTrainer
{
    public const string LogFile = "graphones.log";

    /// <summary>Weights tried: 0 (network alone) to 1 (graphones alone) in steps of 1/40.</summary>
    private const int WeightSteps = 40;

    public static G2pCombination TrainBeside(G2pModel network, CmuDictionary dictionary, string folder, GraphoneTrainingOptions options,
        Action<string>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var log = new List<string>();
        void Say(string line)
        {
            log.Add(line);
            progress?.Invoke(line);
        }
        Say($"# graphone model beside {Path.GetFullPath(folder)}: order {options.Order}, {(options.RightToLeft ? "right to left" : "left to right")}, " +
            $"{options.AlignmentRounds} alignment rounds, {options.Candidates} candidates; dictionary {dictionary.Source}");
        var joint = GraphoneModel.Train(dictionary, options, Say);
        ct.ThrowIfCancellationRequested();
        var dev = G2pSplits.Select(dictionary, G2pSplit.Dev);
        Say($"weighing it against the network on {dev.Count:N0} dev words ({clock.Elapsed.TotalSeconds:0} s)");
        var combination = Tune(network, joint, dev, options.Candidates, Say, ct);
        Directory.CreateDirectory(folder);
        joint.Save(Path.Combine(folder, GraphoneModel.FileName));
        combination = combination with { Tuning = combination.Tuning! with { Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1) } };
        combination.Save(folder);
        Say($"# done in {clock.Elapsed.TotalSeconds:0} s: graphones weight {combination.GraphonesWeight:0.###}, dev WER {combination.Tuning!.Wer:P2} " +
            $"(network alone {combination.Tuning.NetworkWer:P2}, graphones alone {combination.Tuning.GraphonesWer:P2})");
        File.WriteAllLines(Path.Combine(folder, LogFile), log);
        return combination;
    }

    /// <summary>The weight with the fewest wrong dev words; among equally good weights, the middle one, so the choice
    /// does not sit on the edge of a plateau.</summary>
    public static G2pCombination Tune(G2pModel network, GraphoneModel joint, IReadOnlyList<(string Word, IReadOnlyList<IReadOnlyList<string>> Variants)> dev,
        int candidates, Action<string>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var words = dev.Select(w => w.Word).ToList();
        progress?.Invoke($"  the network's guesses for {words.Count:N0} words…");
        var guesses = network.PredictNetwork(words);
        ct.ThrowIfCancellationRequested();
        progress?.Invoke($"  candidates scored by both models… ({clock.Elapsed.TotalSeconds:0} s)");
        var weighed = network.Weigh(words, guesses, joint, candidates);
        progress?.Invoke($"  {weighed.Sum(w => w.Count):N0} candidates ({clock.Elapsed.TotalSeconds:0} s)");
        bool Right(int i, IReadOnlyList<string> phones) => dev[i].Variants.Any(v => v.SequenceEqual(phones));
        var wrong = new int[WeightSteps + 1];
        for (var step = 0; step <= WeightSteps; step++)
        {
            var choice = G2pModel.Choose(weighed, new G2pCombination(step / (double)WeightSteps, candidates));
            wrong[step] = Enumerable.Range(0, words.Count).Count(i => !Right(i, choice[i]));
            progress?.Invoke($"  weight {step / (double)WeightSteps:0.000}: dev WER {(double)wrong[step] / Math.Max(1, words.Count):P2}");
        }
        var fewest = wrong.Min();
        var best = Enumerable.Range(0, WeightSteps + 1).Where(s => wrong[s] == fewest).ToList();
        var weight = best[best.Count / 2] / (double)WeightSteps;
        var networkWrong = Enumerable.Range(0, words.Count).Count(i => !Right(i, guesses[i]));
        double Rate(int n) => Math.Round((double)n / Math.Max(1, words.Count), 5);
        return new G2pCombination(weight, candidates,
            new G2pCombinationTuning(words.Count, Rate(fewest), Rate(networkWrong), Rate(wrong[WeightSteps]), Math.Round(clock.Elapsed.TotalSeconds, 1)));
    }
}
