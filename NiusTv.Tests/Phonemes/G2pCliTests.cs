using Xunit;
using NiusTv.Steps.Phonemes;
using NiusTv.Tests.EndToEnd;

namespace NiusTv.Tests.Phonemes;

[Trait("Speed", "Slow")]
public sealed class G2pCliTests
{
    [Fact]
    public async Task G2p_json_lists_word_phones_and_source_from_each_stage()
    {
        using var dir = new TempFolder();
        var lexicon = dir.Combine("names.lex");
        File.WriteAllText(lexicon, "ruiz R UW IY Z\n");
        var r = await Nius.RunAsync(["g2p", "Ruiz", "aardvark", "zorblat", "café", "--lexicon", lexicon, "--json"], TimeSpan.FromMinutes(6));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = r.Json.EnumerateArray().ToList();
        // "café" is looked up as the voices say it, "cafe".
        Assert.Equal(["ruiz", "aardvark", "zorblat", "cafe"], rows.Select(x => x.GetProperty("word").GetString()));
        Assert.Equal(["lexicon", "dictionary", "model", "dictionary"], rows.Select(x => x.GetProperty("source").GetString()));
        Assert.Equal(["R", "UW", "IY", "Z"], rows[0].GetProperty("phones").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["AA", "R", "D", "V", "AA", "R", "K"], rows[1].GetProperty("phones").EnumerateArray().Select(p => p.GetString()));
        Assert.All(rows[2].GetProperty("phones").EnumerateArray(), p => Assert.True(CmuDictionary.IsPhone(p.GetString()!)));
    }

    [Fact]
    public async Task G2p_model_flag_asks_the_model_even_for_dictionary_words()
    {
        var r = await Nius.RunAsync(["g2p", "aardvark", "--model", "--json"], TimeSpan.FromMinutes(6));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var row = Assert.Single(r.Json.EnumerateArray());
        Assert.Equal("model", row.GetProperty("source").GetString());
        Assert.NotEmpty(row.GetProperty("phones").EnumerateArray());
    }

    [Fact]
    public async Task Bad_lexicon_is_a_clear_error()
    {
        using var dir = new TempFolder();
        var lexicon = dir.Combine("names.lex");
        File.WriteAllText(lexicon, "ruiz R UW IY Q\n");
        var r = await Nius.RunAsync(["g2p", "ruiz", "--lexicon", lexicon], TimeSpan.FromMinutes(6));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{lexicon}:1", r.Stderr);
        Assert.Contains("'Q'", r.Stderr);
    }

    [Fact]
    public async Task Train_graphones_only_adds_a_weighed_graphone_model_beside_the_folders_network()
    {
        using var dir = new TempFolder();
        var model = dir.Folder("g2p");
        foreach (var file in new[] { G2pConfig.FileName, G2pModel.WeightsFile })
            File.Copy(Path.Combine(ShippedG2p.Folder, file), Path.Combine(model, file));
        // Every 20th word of Debian's dictionary: a few seconds of training, about 660 dev words to weigh on.
        var dictionary = dir.Combine("small.dict");
        File.WriteAllLines(dictionary, File.ReadLines(CmuDictionary.DebianPath).Where((_, i) => i % 20 == 0));
        var r = await Nius.RunAsync(["train", "g2p", "--graphones-only", "--out", model, "--dictionary", dictionary, "--threads", "1", "--json"], TimeSpan.FromMinutes(6));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.TryGetProperty("graphones", out var g) && g.GetString()!.StartsWith("aligning", StringComparison.Ordinal));
        var summary = lines[^1];
        var devWer = summary.GetProperty("devWer").GetDouble();
        Assert.InRange(devWer, 0.05, 0.6);
        Assert.True(devWer <= summary.GetProperty("graphonesDevWer").GetDouble());
        foreach (var file in new[] { Steps.Phonemes.Graphones.GraphoneModel.FileName, G2pCombination.FileName, Steps.Phonemes.Graphones.GraphoneTrainer.LogFile })
            Assert.True(File.Exists(Path.Combine(model, file)), file);
        Assert.Contains("# done", File.ReadAllText(Path.Combine(model, Steps.Phonemes.Graphones.GraphoneTrainer.LogFile)));

        var said = await Nius.RunAsync(["g2p", "zorblat", "--model", "--model-dir", model, "--json"], TimeSpan.FromMinutes(6));
        Assert.True(said.ExitCode == 0, said.Stderr);
        Assert.All(Assert.Single(said.Json.EnumerateArray()).GetProperty("phones").EnumerateArray(), p => Assert.True(CmuDictionary.IsPhone(p.GetString()!)));

        // A folder without a network to weigh against is refused, naming the file.
        using var empty = new TempFolder();
        var refused = await Nius.RunAsync(["train", "g2p", "--graphones-only", "--out", empty.Path, "--dictionary", dictionary], TimeSpan.FromMinutes(6));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(empty.Combine(G2pConfig.FileName), refused.Stderr);
    }

    [Fact]
    public async Task Train_from_a_trained_folder_goes_on_from_its_weights_and_keeps_the_better_model_on_dev()
    {
        using var dir = new TempFolder();
        var output = dir.Combine("g2p");
        // Every 20th word of Debian's dictionary; 300 of its train words, 150 dev words: seconds of training.
        var dictionary = dir.Combine("small.dict");
        File.WriteAllLines(dictionary, File.ReadLines(CmuDictionary.DebianPath).Where((_, i) => i % 20 == 0));
        var r = await Nius.RunAsync(["train", "g2p", "--from", ShippedG2p.Folder, "--out", output, "--dictionary", dictionary,
            "--limit", "300", "--dev-limit", "150", "--epochs", "2", "--threads", "1", "--json"], TimeSpan.FromMinutes(6));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var epochs = lines.Where(l => l.TryGetProperty("epoch", out _)).ToList();
        // Epoch 0 is the shipped model measured before any step: it is what a worse run leaves in the folder.
        Assert.Equal([0, 1, 2], epochs.Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, epochs[0].GetProperty("loss").ValueKind);
        Assert.True(epochs[0].GetProperty("best").GetBoolean());
        var startWer = epochs[0].GetProperty("devWer").GetDouble();
        // The shipped model on dev words it never trained on, so nowhere near a fresh network's 100%.
        Assert.InRange(startWer, 0.05, 0.5);

        var saved = G2pConfig.Load(Path.Combine(output, G2pConfig.FileName));
        var shipped = G2pConfig.Load(Path.Combine(ShippedG2p.Folder, G2pConfig.FileName));
        Assert.Equal((shipped.DModel, shipped.EncoderLayers, shipped.FeedForward), (saved.DModel, saved.EncoderLayers, saved.FeedForward));
        Assert.Equal(shipped.Graphemes, saved.Graphemes);
        Assert.Equal(shipped.Training!.DevWer, saved.Training!.ContinuedFrom!.DevWer);
        Assert.Equal(epochs.Min(e => Math.Round(e.GetProperty("devWer").GetDouble(), 4)), Math.Round(saved.Training.DevWer, 4));
        // Saved in float16 like the shipped weights (deflated, so a little smaller), not twice their size.
        var size = new FileInfo(Path.Combine(output, G2pModel.WeightsFile)).Length;
        var shippedSize = new FileInfo(Path.Combine(ShippedG2p.Folder, G2pModel.WeightsFile)).Length;
        Assert.InRange(size, shippedSize * 0.8, shippedSize * 1.05);
        // The weighing against the graphone model is made anew for the new network.
        Assert.True(File.Exists(Path.Combine(output, G2pCombination.FileName)));
        Assert.True(lines[^1].TryGetProperty("graphonesWeight", out _));
    }

    [Fact]
    public async Task Train_from_a_folder_without_a_model_is_refused_and_leaves_the_output_folder_as_it_was()
    {
        using var dir = new TempFolder();
        var output = dir.Folder("g2p");
        foreach (var file in Directory.GetFiles(ShippedG2p.Folder))
            File.Copy(file, Path.Combine(output, Path.GetFileName(file)));
        var before = Directory.GetFiles(output).Select(Path.GetFileName).Order().ToList();
        var empty = dir.Folder("empty");
        var r = await Nius.RunAsync(["train", "g2p", "--from", empty, "--out", output], TimeSpan.FromMinutes(6));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--from", r.Stderr);
        Assert.Contains(Path.Combine(empty, G2pConfig.FileName), r.Stderr);
        Assert.Equal(before, Directory.GetFiles(output).Select(Path.GetFileName).Order().ToList());

        var lr = await Nius.RunAsync(["train", "g2p", "--from", ShippedG2p.Folder, "--out", output, "--lr", "-1"], TimeSpan.FromMinutes(6));
        Assert.Equal(2, lr.ExitCode);
        Assert.Contains("--lr", lr.Stderr);
    }
}
