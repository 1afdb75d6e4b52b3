using Xunit;
using NiusTv.Host.Node;
using NiusTv.Steps;
using NiusTv.Steps.Phonemes;
using NiusTv.Tests.EndToEnd;

namespace NiusTv.Tests.Phonemes;

/// <summary>The shipped model (models/g2p in the repository), loaded once for the class.</summary>
public sealed class ShippedG2p : IDisposable
{
    public static string Folder => Path.Combine(Nius.RepoRoot, G2pLocations.Relative);
    public G2pModel Model { get; } = G2pModel.Load(Folder);
    public CmuDictionary Dictionary { get; } = CmuDictionary.Load(CmuDictionary.DebianPath);
    public void Dispose() => Model.Dispose();
}

public sealed class G2pModelTests(ShippedG2p shipped) : IClassFixture<ShippedG2p>
{
    [Fact]
    public void Shipped_model_says_held_out_test_words_plausibly()
    {
        // 300 evenly spaced words of the test split: never seen in training, never used to pick the epoch.
        var test = G2pSplits.Select(shipped.Dictionary, G2pSplit.Test);
        var sample = Enumerable.Range(0, 300).Select(i => test[i * test.Count / 300]).ToList();
        Assert.All(sample, w => Assert.Equal(G2pSplit.Test, G2pSplits.Of(w.Word)));
        var score = G2pScore.Measure(shipped.Model, sample);
        var network = G2pScore.Measure(shipped.Model, sample, w => shipped.Model.PredictNetwork(w));
        Assert.Equal(300, score.Words);
        Assert.NotNull(shipped.Model.Combination);
        // Bounds a few points above what the shipped model measures (nius bench g2p on the full test split: 23.1% WER
        // combined, 26.5% for the network alone); a broken encoder, decoder, vocabulary or graphone model lands above them.
        Assert.True(score.Wer < 0.26, $"WER {score.Wer:P1} on 300 test words (network alone {network.Wer:P1}, PER {network.Per:P2})");
        Assert.True(score.Per < 0.07, $"PER {score.Per:P2} on 300 test words (network alone {network.Per:P2})");
        // The graphone model earns its place: fewer wrong words than the network alone on the same words.
        Assert.True(score.WrongWords < network.WrongWords, $"{score.WrongWords} wrong combined, {network.WrongWords} by the network alone");
    }

    [Fact]
    public void Batched_and_single_predictions_agree_and_use_only_cmu_phones()
    {
        string[] words = ["tomato", "zorblat", "quintessentially", "a"];
        var batched = shipped.Model.PredictBatch(words);
        for (var i = 0; i < words.Length; i++)
        {
            Assert.Equal(batched[i], shipped.Model.Predict(words[i]));
            Assert.NotEmpty(batched[i]);
            Assert.All(batched[i], p => Assert.True(CmuDictionary.IsPhone(p), p));
        }
    }

    [Fact]
    public void Missing_weights_is_an_error_naming_the_file()
    {
        using var dir = new TempFolder();
        File.Copy(Path.Combine(ShippedG2p.Folder, G2pConfig.FileName), dir.Combine(G2pConfig.FileName));
        var e = Assert.Throws<G2pModelException>(() => G2pModel.Load(dir.Path));
        Assert.Contains(dir.Combine(G2pModel.WeightsFile), e.Message);
    }

    [Fact]
    public void Corrupt_weights_is_an_error_naming_the_file()
    {
        using var dir = new TempFolder();
        File.Copy(Path.Combine(ShippedG2p.Folder, G2pConfig.FileName), dir.Combine(G2pConfig.FileName));
        var weights = File.ReadAllBytes(Path.Combine(ShippedG2p.Folder, G2pModel.WeightsFile));
        File.WriteAllBytes(dir.Combine(G2pModel.WeightsFile), weights[..(weights.Length / 2)]);
        var e = Assert.Throws<G2pModelException>(() => G2pModel.Load(dir.Path));
        Assert.Contains(dir.Combine(G2pModel.WeightsFile), e.Message);
    }

    [Fact]
    public void Config_not_matching_the_weights_is_an_error_naming_the_file()
    {
        using var dir = new TempFolder();
        var config = G2pConfig.Load(Path.Combine(ShippedG2p.Folder, G2pConfig.FileName));
        (config with { FeedForward = config.FeedForward * 2 }).Save(dir.Combine(G2pConfig.FileName));
        File.Copy(Path.Combine(ShippedG2p.Folder, G2pModel.WeightsFile), dir.Combine(G2pModel.WeightsFile));
        var e = Assert.Throws<G2pModelException>(() => G2pModel.Load(dir.Path));
        Assert.Contains(dir.Combine(G2pModel.WeightsFile), e.Message);
    }

    [Fact]
    public void Missing_or_broken_config_is_an_error_naming_the_file()
    {
        using var dir = new TempFolder();
        Assert.Contains(dir.Combine(G2pConfig.FileName), Assert.Throws<G2pModelException>(() => G2pModel.Load(dir.Path)).Message);
        File.WriteAllText(dir.Combine(G2pConfig.FileName), "{\"graphemes\": [\"a\"], ");
        Assert.Contains(dir.Combine(G2pConfig.FileName), Assert.Throws<G2pModelException>(() => G2pModel.Load(dir.Path)).Message);
    }

    [Fact]
    public void Node_start_up_fails_with_the_setting_and_file_when_the_model_is_missing()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<SettingsException>(() => PhonemesRegistration.CreatePronouncer(NodeSteps.PhonemesOptions(new NiusTv.Host.Node.Settings.PhonemesSettings { Model = dir.Path })));
        Assert.Equal("Phonemes:Model", e.Setting);
        Assert.Contains(dir.Combine(G2pConfig.FileName), e.Message);
    }

    [Fact]
    public void Pronouncer_chains_lexicon_then_dictionary_then_model()
    {
        var lexicon = UserLexicon.Parse(new StringReader("ruiz R UW IY Z\ntomato T AH M AA T OW\n"), "names.lex");
        var pronouncer = new Pronouncer(lexicon, shipped.Dictionary, shipped.Model);
        var ruiz = pronouncer.Pronounce("Ruiz");
        Assert.Equal(("ruiz", PronunciationSource.Lexicon), (ruiz.Word, ruiz.Source));
        Assert.Equal(["R", "UW", "IY", "Z"], ruiz.Phones);
        // The lexicon wins over the dictionary's first variant (T AH M EY T OW).
        Assert.Equal(["T", "AH", "M", "AA", "T", "OW"], pronouncer.Pronounce("tomato").Phones);
        Assert.Equal(PronunciationSource.Lexicon, pronouncer.Pronounce("tomato").Source);
        Assert.Equal(PronunciationSource.Dictionary, pronouncer.Pronounce("don\u2019t").Source);
        Assert.Equal(shipped.Dictionary.First("don't"), pronouncer.Pronounce("DON'T").Phones);
        Assert.Equal(PronunciationSource.Model, pronouncer.Pronounce("zorblat").Source);
        // A hyphenated word the dictionary lacks is said from its parts.
        var compound = pronouncer.Pronounce("x-ray-tomato");
        Assert.Equal([.. shipped.Dictionary.First("x")!, .. shipped.Dictionary.First("ray")!, "T", "AH", "M", "AA", "T", "OW"], compound.Phones);
        Assert.Equal(PronunciationSource.Dictionary, compound.Source);
        Assert.Equal(PronunciationSource.Dictionary, pronouncer.Pronounce("x-ray").Source);
    }

    [Fact]
    public void Going_on_from_a_trained_model_warms_up_then_falls_along_a_cosine_to_zero_at_the_last_step()
    {
        var options = new G2pTrainingOptions { ContinueFrom = "trained", PeakLearningRate = 3e-4, WarmupSteps = 100 };
        const int total = 10_000;
        Assert.Equal(1.5e-4, G2pTrainer.LearningRate(options, 50, total), 7);
        Assert.Equal(3e-4, G2pTrainer.LearningRate(options, 100, total), 6);
        Assert.Equal(1.5e-4, G2pTrainer.LearningRate(options, total / 2, total), 9);
        Assert.Equal(0, G2pTrainer.LearningRate(options, total, total), 12);
        var after = Enumerable.Range(100, total - 99).Select(step => G2pTrainer.LearningRate(options, step, total)).ToList();
        Assert.True(after.Zip(after.Skip(1)).All(p => p.Item2 <= p.Item1), "the rate never rises after the warm-up");
        // From scratch the rate falls as the inverse square root and never reaches zero.
        var scratch = options with { ContinueFrom = null };
        Assert.Equal(3e-4 * Math.Sqrt(100.0 / total), G2pTrainer.LearningRate(scratch, total, total), 12);
    }

    [Fact]
    public void Accented_words_are_looked_up_folded_as_the_voices_say_them()
    {
        // The voices say "café" as "cafe"; the pronouncer (and so the mouth and `nius g2p`) must find the same word.
        var lexicon = UserLexicon.Parse(new StringReader("rené R AH N EY\n"), "names.lex");
        var pronouncer = new Pronouncer(lexicon, shipped.Dictionary, shipped.Model);
        var cafe = pronouncer.Pronounce("Café");
        Assert.Equal(("cafe", PronunciationSource.Dictionary), (cafe.Word, cafe.Source));
        Assert.Equal(shipped.Dictionary.First("cafe"), cafe.Phones);
        Assert.Equal(shipped.Dictionary.First("naive"), pronouncer.Pronounce("na\u00EFve").Phones);
        // A lexicon entry written with its accent is found for the word with or without it.
        foreach (var word in new[] { "René", "rene", "RENÉ" })
        {
            var said = pronouncer.Pronounce(word);
            Assert.Equal(PronunciationSource.Lexicon, said.Source);
            Assert.Equal(["R", "AH", "N", "EY"], said.Phones);
        }
        Assert.Throws<ArgumentException>(() => pronouncer.Pronounce("\u6771\u4EAC"));
    }

    [Fact]
    public void Bad_lexicon_line_names_file_line_and_phone()
    {
        using var dir = new TempFolder();
        var path = dir.Combine("names.lex");
        File.WriteAllText(path, "ruiz R UW IY Z\n\nnguyen N W IH1 N\n");
        var e = Assert.Throws<InvalidDataException>(() => UserLexicon.Load(path));
        Assert.Contains($"{path}:3", e.Message);
        Assert.Contains("'IH1'", e.Message);
        var s = Assert.Throws<SettingsException>(() => PhonemesRegistration.CreatePronouncer(NodeSteps.PhonemesOptions(new NiusTv.Host.Node.Settings.PhonemesSettings { Lexicon = path })));
        Assert.Equal("Phonemes:Lexicon", s.Setting);
        Assert.Contains($"{path}:3", s.Message);
    }
}
