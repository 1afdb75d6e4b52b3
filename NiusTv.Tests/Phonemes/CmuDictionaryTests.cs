using Xunit;
using System.Security.Cryptography;
using System.Text;
using NiusTv.Steps.Phonemes;

namespace NiusTv.Tests.Phonemes;

public sealed class CmuDictionaryTests
{
    [Theory]
    // Buckets worked out independently (python3 hashlib.md5(word).digest()[0] % 10).
    [InlineData("tomato", G2pSplit.Test)]
    [InlineData("nuclear", G2pSplit.Dev)]
    [InlineData("hello", G2pSplit.Train)]
    [InlineData("x-ray", G2pSplit.Train)]
    [InlineData("TOMATO", G2pSplit.Test)]
    [InlineData("tomato(2)", G2pSplit.Test)]
    public void Split_is_the_first_md5_byte_of_the_lowercase_base_word_mod_10(string word, G2pSplit expected)
    {
        Assert.Equal(expected, G2pSplits.Of(word));
        var first = MD5.HashData(Encoding.UTF8.GetBytes(CmuDictionary.BaseWord(word.ToLowerInvariant())))[0];
        Assert.Equal(expected, (first % 10) switch { 0 => G2pSplit.Test, 1 => G2pSplit.Dev, _ => G2pSplit.Train });
    }

    [Fact]
    public void Split_over_the_real_dictionary_is_about_ten_ten_eighty_and_repeatable()
    {
        var dictionary = CmuDictionary.Load(CmuDictionary.DebianPath);
        var test = G2pSplits.Select(dictionary, G2pSplit.Test);
        var dev = G2pSplits.Select(dictionary, G2pSplit.Dev);
        var train = G2pSplits.Select(dictionary, G2pSplit.Train);
        Assert.Equal(dictionary.Count, test.Count + dev.Count + train.Count);
        Assert.InRange(test.Count / (double)dictionary.Count, 0.09, 0.11);
        Assert.InRange(dev.Count / (double)dictionary.Count, 0.09, 0.11);
        Assert.Equal(test.Select(w => w.Word), G2pSplits.Select(dictionary, G2pSplit.Test).Select(w => w.Word));
        Assert.Empty(test.Select(w => w.Word).Intersect(train.Select(w => w.Word)));
    }

    [Fact]
    public void Parse_groups_variants_in_file_order_and_strips_the_suffix()
    {
        var text = "# comment\nread R IY D\nread(2) R EH D\nx-ray EH K S R EY\n\ndon't D OW N T\n";
        var dictionary = CmuDictionary.Parse(new StringReader(text), "test.dict");
        Assert.Equal(3, dictionary.Count);
        Assert.Equal([["R", "IY", "D"], ["R", "EH", "D"]], dictionary.Variants("read").Select(v => v.ToArray()).ToArray());
        Assert.Equal(["EH", "K", "S", "R", "EY"], dictionary.First("x-ray"));
        Assert.Equal(["D", "OW", "N", "T"], dictionary.First("don't"));
        Assert.Empty(dictionary.Variants("read(2)"));
    }

    [Fact]
    public void A_stressed_or_unknown_phone_is_an_error_naming_file_line_and_phone()
    {
        var e = Assert.Throws<InvalidDataException>(() => CmuDictionary.Parse(new StringReader("cat K AE T\ndog D AO1 G\n"), "x.dict"));
        Assert.Contains("x.dict:2", e.Message);
        Assert.Contains("'AO1'", e.Message);
    }

    [Fact]
    public void Debian_dictionary_has_39_phones_variants_apostrophes_and_hyphens()
    {
        var dictionary = CmuDictionary.Load(CmuDictionary.DebianPath);
        Assert.InRange(dictionary.Count, 120_000, 140_000);
        Assert.Equal(39, dictionary.Words.SelectMany(w => dictionary.Variants(w)).SelectMany(v => v).Distinct().Count());
        Assert.Equal(2, dictionary.Variants("read").Count);
        Assert.NotNull(dictionary.First("don't"));
        Assert.NotNull(dictionary.First("x-ray"));
    }

    [Theory]
    [InlineData("word(2)", "word")]
    [InlineData("word(12)", "word")]
    [InlineData("(x)", "(x)")]
    [InlineData("word", "word")]
    public void Base_word_drops_only_a_numeric_variant_suffix(string entry, string expected) =>
        Assert.Equal(expected, CmuDictionary.BaseWord(entry));
}
