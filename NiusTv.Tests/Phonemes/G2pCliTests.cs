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
        var r = await Nius.RunAsync(["g2p", "Ruiz", "aardvark", "zorblat", "--lexicon", lexicon, "--json"], TimeSpan.FromMinutes(6));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = r.Json.EnumerateArray().ToList();
        Assert.Equal(["ruiz", "aardvark", "zorblat"], rows.Select(x => x.GetProperty("word").GetString()));
        Assert.Equal(["lexicon", "dictionary", "model"], rows.Select(x => x.GetProperty("source").GetString()));
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
}
