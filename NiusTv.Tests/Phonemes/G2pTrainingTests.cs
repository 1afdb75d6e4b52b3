using Xunit;
using NiusTv.Steps.Phonemes;

namespace NiusTv.Tests.Phonemes;

[Trait("Speed", "Slow")]
public sealed class G2pTrainingTests
{
    [Fact]
    public void Training_loop_learns_on_a_small_subset_and_saves_a_loadable_model_without_the_old_weighing()
    {
        using var dir = new TempFolder();
        var dictionary = CmuDictionary.Load(CmuDictionary.DebianPath);
        var epochs = new List<G2pEpoch>();
        var options = new G2pTrainingOptions
        {
            Epochs = 4, Threads = 1, TrainLimit = 300, DevLimit = 20, DModel = 32, Heads = 2, EncoderLayers = 1, DecoderLayers = 1,
            FeedForward = 64, WarmupSteps = 10, PeakLearningRate = 3e-3, TokensPerBatch = 1000, Patience = 10,
        };
        // A weighing tuned for an earlier network would be wrong for the new one: training removes it.
        new G2pCombination(0.5, 8).Save(dir.Path);
        File.Copy(Path.Combine(ShippedG2p.Folder, Steps.Phonemes.Graphones.GraphoneModel.FileName), dir.Combine(Steps.Phonemes.Graphones.GraphoneModel.FileName));
        using var model = G2pTrainer.Train(dictionary, dir.Path, options, epochs.Add);
        Assert.Null(model.Combination);
        Assert.False(File.Exists(dir.Combine(G2pCombination.FileName)));
        Assert.Equal(4, epochs.Count);
        Assert.True(epochs[^1].Loss < epochs[0].Loss * 0.85, string.Join(", ", epochs.Select(e => e.Loss.ToString("0.000"))));
        Assert.NotNull(model.Config.Training);
        Assert.Equal(300, model.Config.Training!.TrainWords);
        Assert.All(model.Predict("cat"), p => Assert.True(CmuDictionary.IsPhone(p)));
    }
}
