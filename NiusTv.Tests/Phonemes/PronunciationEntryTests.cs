using System.Text.Json.Nodes;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Phonemes;

/// <summary>How editors write pronunciations (CMU phones or a respelling), how bad ones are refused, and how a
/// story's entries and the newsroom dictionary are stored.</summary>
public sealed class PronunciationEntryTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IReadOnlyList<string> Phones(string spelling) =>
        PronunciationSpelling.Parse(spelling, out var problem) ?? throw new Xunit.Sdk.XunitException(problem);

    private static string Story(string pronunciations) =>
        $$"""{"id":"names","title":"Names","paragraphs":["Doctor Ana Ruiz spoke."],"pronunciations":{{pronunciations}}}""";

    [Theory]
    [InlineData("R UW IY S", "R UW1 IY1 S")]
    [InlineData("R UW0 IY1 S", "R UW0 IY1 S")]
    [InlineData("  r uw iy s ", "R UW1 IY1 S")]
    [InlineData("roo ees", "R UW1 IY1 S")]
    [InlineData("roo-EES", "R UW0 IY1 S")]
    [InlineData("kah-MAH-lah", "K AA0 M AA1 L AA0")]
    [InlineData("SHEV-ron", "SH EH1 V R AA0 N")]
    [InlineData("WIN", "W IH1 N")]
    [InlineData("NG", "NG")] // one CMU phone is phones; refused below for having no vowel
    public void Phones_and_respellings_become_cmu_phones_with_stress(string spelling, string expected)
    {
        if (expected == "NG")
        {
            Assert.Null(PronunciationSpelling.Parse(spelling, out var problem));
            Assert.Contains("no vowel", problem);
            return;
        }
        Assert.Equal(expected.Split(' '), Phones(spelling));
    }

    [Fact]
    public void A_bad_phone_is_refused_naming_the_entry_and_the_phone()
    {
        var result = StoryParser.Parse(Story("""{"Ruiz": "R UW IY SS", "Nguyen": "W IH N"}"""));

        var error = Assert.Single(result.Errors);
        Assert.Equal("pronunciations.Ruiz", error.Field);
        Assert.StartsWith("'SS' is not a CMU phone", error.Message);
    }

    [Theory]
    [InlineData("""{"Ana Ruiz": "R UW IY S"}""", "pronunciations.Ana Ruiz", "is not one word")]
    [InlineData("""{"Ruiz": ""}""", "pronunciations.Ruiz", "is empty")]
    [InlineData("""{"Ruiz": 3}""", "pronunciations.Ruiz", "must be a string")]
    [InlineData("""{"Ruiz": "roo-E3S"}""", "pronunciations.Ruiz", "has '3' in the syllable 'E3S'")]
    [InlineData("""{"Ruiz": "R UW IY S", "ruiz": "R UW IY Z"}""", "pronunciations.ruiz", "is the same word as 'Ruiz'")]
    [InlineData("""{"Ruiz": "R UW IY S2"}""", "pronunciations.Ruiz", "S is a consonant")]
    [InlineData("""["Ruiz"]""", "pronunciations", "must be an object")]
    public void Bad_entries_are_refused_with_the_field_and_the_reason(string pronunciations, string field, string message)
    {
        var result = StoryParser.Parse(Story(pronunciations));

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Field == field && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_story_without_pronunciations_keeps_its_canonical_bytes_and_one_with_them_round_trips()
    {
        var plain = StoryParser.Parse(Story("{}")).Story!;
        Assert.DoesNotContain("pronunciations", plain.ToCanonicalJson());
        Assert.Equal(StoryParser.Parse("""{"id":"names","title":"Names","paragraphs":["Doctor Ana Ruiz spoke."]}""").Story!.ContentHash(), plain.ContentHash());

        var named = StoryParser.Parse(Story("""{"Ruiz": "roo-EES", "Ana": "AA N AH"}""")).Story!;
        var canonical = named.ToCanonicalJson();
        Assert.Equal("""{"Ana":"AA N AH","Ruiz":"roo-EES"}""", JsonNode.Parse(canonical)!["pronunciations"]!.ToJsonString());
        var again = StoryParser.Parse(canonical).Story!;
        Assert.Equal(canonical, again.ToCanonicalJson());
        Assert.Equal(["R", "UW0", "IY1", "S"], again.PronunciationSet().Find("RUIZ")!.Phones);
    }

    [Fact]
    public void Each_backend_gets_the_entry_in_its_own_notation()
    {
        var entry = PronunciationSet.Parse([new("Ruiz", "roo-EES")], "p").Set.Entries[0];

        Assert.Equal("[[ru:'i:s]]", PronunciationSet.ToEspeak(entry));
        Assert.Equal("{R UW0 IY1 S}", PronunciationSet.ToArpabet(entry));
        Assert.Equal("(lex.add.entry (list \"ruiz\" nil (lex.syllabify.phstress '(r uw0 iy1 s))))", PronunciationSet.ToFestival(entry));
        Assert.Equal(["R", "UW", "IY", "S"], entry.PlainPhones);
    }

    [Fact]
    public void Words_are_replaced_whole_and_without_regard_to_case_or_accents()
    {
        var set = PronunciationSet.Parse([new("Ruiz", "R UW IY S"), new("O'Neill", "OW N IY L")], "p").Set;

        var said = set.Substitute("RUIZ met Ruízes, Ruíz and o\u2019neill.", e => $"<{e.Key}>");

        Assert.Equal("<ruiz> met Ruízes, <ruiz> and <o'neill>.", said);
        Assert.Equal(["R", "UW1", "IY1", "S", "IH0", "Z"], set.Find("Ruiz\u2019s")!.Phones);
        Assert.Equal(["OW1", "N", "IY1", "L", "Z"], set.Find("O'Neill's")!.Phones);
        Assert.Null(set.Find("Ruizes"));
    }

    [Fact]
    public void The_newsroom_dictionary_is_saved_listed_replaced_and_removed()
    {
        var dictionary = new PronunciationDictionary(_dir.Combine("data", PronunciationDictionary.FileName));
        Assert.Equal(0, dictionary.Load().Count);

        Assert.Empty(dictionary.Set("Ruiz", "roo-EES"));
        Assert.Empty(dictionary.Set("Nguyen", "W IH N"));
        Assert.Empty(dictionary.Set("ruiz", "R UW IY Z"));
        var bad = Assert.Single(dictionary.Set("Kyiv", "K IY V XX"));
        Assert.Equal("pronunciations.Kyiv", bad.Field);
        Assert.Contains("'XX'", bad.Message);

        var entries = new PronunciationDictionary(dictionary.Path).Load().Entries;
        Assert.Equal(["nguyen", "ruiz"], entries.Select(e => e.Key));
        Assert.Equal(["R", "UW1", "IY1", "Z"], entries[1].Phones);
        Assert.True(dictionary.Remove("NGUYEN"));
        Assert.False(dictionary.Remove("Nguyen"));
        Assert.Equal(["ruiz"], dictionary.Load().Entries.Select(e => e.Key));
    }

    [Fact]
    public void A_newsroom_dictionary_damaged_by_hand_is_an_error_naming_the_file_and_the_entry()
    {
        var path = _dir.Combine(PronunciationDictionary.FileName);
        File.WriteAllText(path, """{"Ruiz": "R UW QQ S"}""");

        var error = Assert.Throws<InvalidDataException>(() => new PronunciationDictionary(path).Load());

        Assert.Contains(path, error.Message);
        Assert.Contains("pronunciations.Ruiz: 'QQ' is not a CMU phone", error.Message);
    }

    [Fact]
    public void A_storys_entries_win_over_the_newsrooms_in_the_pronouncer()
    {
        var newsroom = PronunciationSet.Parse([new("Ruiz", "R UW IY Z"), new("Nguyen", "WIN")], "p").Set;
        var story = PronunciationSet.Parse([new("Ruiz", "R UW IY S")], "p").Set;
        var pronouncer = new PronouncerWithEntries(new TestPronouncer(), story.Over(newsroom));

        Assert.Equal(["R", "UW", "IY", "S"], pronouncer.Pronounce("Ruiz").Phones);
        Assert.Equal(["W", "IH", "N"], pronouncer.Pronounce("nguyen").Phones);
        Assert.Equal(PronunciationSource.Dictionary, pronouncer.Pronounce("doctor").Source);
    }

    [Fact]
    public void The_nodes_user_lexicon_becomes_entries_the_voices_say_under_the_newsrooms()
    {
        var lexicon = UserLexicon.Parse(new StringReader("ruiz R UW IY Z\nkyiv K IY V\n"), "names.lex").ToPronunciations();
        var newsroom = PronunciationSet.Parse([new("Ruiz", "R UW IY S")], "p").Set;

        var said = newsroom.Over(lexicon);

        Assert.Equal(["R", "UW1", "IY1", "S"], said.Find("ruiz")!.Phones);
        Assert.Equal(["K", "IY1", "V"], said.Find("Kyiv")!.Phones);
    }
}
