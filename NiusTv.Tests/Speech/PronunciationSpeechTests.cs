using NiusTv.Steps;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Speech.Tacotron2;
using NiusTv.Steps.Stories;
using NiusTv.Tests.Phonemes;
using Xunit;

namespace NiusTv.Tests.Speech;

/// <summary>Editors' pronunciations change what the voices say, not only phones.json: the same sentence with and
/// without an entry gives other audio, a pocketsphinx decode that may choose between the entry's and the dictionary's
/// pronunciation hears the one that was asked for, and the aligned phones of the word equal the entry.</summary>
[Trait("Speed", "Slow")]
public sealed class PronunciationSpeechTests : IDisposable
{
    private const string Sentence = "Doctor Ana Ruiz met Mayor Nguyen on Tuesday.";
    private static readonly string[] Plain = ["doctor", "ana", "met", "mayor", "on", "tuesday"];

    // Festival's own lexicon says "R UW W IY Z" and "N UW Y EH N"; the entries are far from both.
    private static readonly Dictionary<string, string> Entries = new() { ["Ruiz"] = "roo-EES", ["Nguyen"] = "W IH N" };
    private static readonly string[] RuizEntry = ["R", "UW", "IY", "S"];
    private static readonly string[] NguyenEntry = ["W", "IH", "N"];

    private readonly TempFolder _dir = new();
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    private static Story StoryOf(string voice, IReadOnlyDictionary<string, string>? pronunciations) =>
        new("names", "Names", [Sentence], [], "default", voice, StoryPriority.Normal, StoryOutput.LocalDefault, Pronunciations: pronunciations);

    /// <summary>Speech then phonemes, as the pipeline runs them, in a workspace of their own.</summary>
    private async Task<(string Wav, PhoneTrack Track)> SpeakAndAlign(SpeechStep speech, Story story, string aligner, string name)
    {
        var workspace = _dir.Folder(name);
        var progress = new SyncProgress();
        var spoken = await speech.RunAsync(new StepInput(story, 1, workspace, new Dictionary<string, string>()), progress, Ct);
        var phonemes = new PhonemesStep([new SynthesizerAligner(), new PocketsphinxAligner()], new TestPronouncer(), aligner);
        var aligned = await phonemes.RunAsync(new StepInput(story, 1, workspace, spoken.Artifacts), progress, Ct);
        return (Path.Combine(workspace, spoken.Artifacts[NiusTv.Steps.Artifacts.Speech.Name]),
            PhoneTrack.Load(Path.Combine(workspace, aligned.Artifacts[NiusTv.Steps.Artifacts.Phones.Name])));
    }

    private static IReadOnlyList<string> PhonesOf(PhoneTrack track, string word)
    {
        var index = track.Words.Select((w, i) => (w, i)).Single(x => x.w.Text == word).i;
        return track.Phones.Where(p => p.Word == index).Select(p => p.Phone).ToList();
    }

    /// <summary>Which pronunciation of each name the audio says: a grammar decode with both the entry's ("_entry") and
    /// the CMU dictionary's ("_dictionary") pronunciation of each name offered. The other words are optional: pocketsphinx
    /// hears espeak-ng's formant voice too poorly to follow every word, but well enough to tell the names apart.</summary>
    private async Task<IReadOnlyList<string>> Heard(string wav)
    {
        var cmu = File.ReadLines(CmuDictionary.DebianPath).Select(l => l.Split(' ', 2)).Where(f => Plain.Contains(f[0])).Select(f => $"{f[0]} {f[1]}");
        string[] names = ["ruiz_entry R UW IY S", "ruiz_dictionary R UW IY Z", "ruiz_festival R UW W IY Z",
            "nguyen_entry W IH N", "nguyen_dictionary N UW Y EH N"];
        const string grammar = "#JSGF V1.0;\ngrammar names;\npublic <s> = [doctor] [ana] ( ruiz_entry | ruiz_dictionary | ruiz_festival ) [met] [mayor] ( nguyen_entry | nguyen_dictionary ) [on] [tuesday];\n";
        return await new SpeechRecognizer().DecodeAsync(wav, Ct, grammar, cmu.Concat(names));
    }

    [Theory]
    [InlineData("slt")]
    [InlineData("kal")]
    public async Task A_story_entry_changes_what_festival_says_and_the_aligned_phones_of_the_word_equal_it(string voice)
    {
        var speech = new SpeechStep(SpeechStep.DefaultBackends());
        Assert.True(speech.Voices.Any(v => v.Name == voice), $"the Festival voice '{voice}' must be installed (scripts/setup: festvox-us-slt-hts, festvox-kallpc16k)");

        var (withWav, withTrack) = await SpeakAndAlign(speech, StoryOf(voice, Entries), "auto", "with");
        var (withoutWav, withoutTrack) = await SpeakAndAlign(speech, StoryOf(voice, null), "auto", "without");

        Assert.NotEqual(await File.ReadAllBytesAsync(withoutWav, Ct), await File.ReadAllBytesAsync(withWav, Ct));
        Assert.Equal("synthesizer", withTrack.Aligner);
        Assert.Equal(RuizEntry, PhonesOf(withTrack, "ruiz"));
        Assert.Equal(NguyenEntry, PhonesOf(withTrack, "nguyen"));
        Assert.NotEqual(RuizEntry, PhonesOf(withoutTrack, "ruiz"));
        Assert.NotEqual(NguyenEntry, PhonesOf(withoutTrack, "nguyen"));

        var heardWith = await Heard(withWav);
        var heardWithout = await Heard(withoutWav);
        TestContext.Current.SendDiagnosticMessage($"{voice} with entries: {string.Join(' ', heardWith)}; without: {string.Join(' ', heardWithout)}");
        Assert.True(heardWith.Contains("ruiz_entry"), $"heard: {string.Join(' ', heardWith)}");
        Assert.True(heardWith.Contains("nguyen_entry"), $"heard: {string.Join(' ', heardWith)}");
        Assert.False(heardWithout.Contains("ruiz_entry"), $"heard: {string.Join(' ', heardWithout)}");
        Assert.False(heardWithout.Contains("nguyen_entry"), $"heard: {string.Join(' ', heardWithout)}");
    }

    [Fact]
    public async Task Espeak_says_an_entry_through_its_phoneme_input_and_the_aligner_finds_the_entrys_phones()
    {
        var speech = new SpeechStep([new EspeakSynthesizer()]);
        var (withWav, withTrack) = await SpeakAndAlign(speech, StoryOf("espeak-ng", Entries), "pocketsphinx", "with");
        var (withoutWav, withoutTrack) = await SpeakAndAlign(speech, StoryOf("espeak-ng", null), "pocketsphinx", "without");

        Assert.NotEqual(await File.ReadAllBytesAsync(withoutWav, Ct), await File.ReadAllBytesAsync(withWav, Ct));
        Assert.Equal(RuizEntry, PhonesOf(withTrack, "ruiz"));
        Assert.Equal(NguyenEntry, PhonesOf(withTrack, "nguyen"));
        Assert.Equal(["R", "UW", "IY", "Z"], PhonesOf(withoutTrack, "ruiz"));
        // The words in timings.json are the script's, not espeak's phoneme input.
        var timings = SpeechTimings.Load(Path.Combine(Path.GetDirectoryName(withWav)!, NiusTv.Steps.Artifacts.Timings.Name));
        Assert.Contains(timings.Words, w => w.Text == "nguyen");
        Assert.DoesNotContain(timings.Words, w => w.Text.Contains("[[", StringComparison.Ordinal));

        var heardWith = await Heard(withWav);
        var heardWithout = await Heard(withoutWav);
        TestContext.Current.SendDiagnosticMessage($"espeak-ng with entries: {string.Join(' ', heardWith)}; without: {string.Join(' ', heardWithout)}");
        Assert.True(heardWith.Contains("ruiz_entry"), $"heard: {string.Join(' ', heardWith)}");
        Assert.True(heardWith.Contains("nguyen_entry"), $"heard: {string.Join(' ', heardWith)}");
        Assert.False(heardWithout.Contains("ruiz_entry"), $"heard: {string.Join(' ', heardWithout)}");
        Assert.False(heardWithout.Contains("nguyen_entry"), $"heard: {string.Join(' ', heardWithout)}");
    }

    [Fact]
    public async Task The_newsroom_dictionary_applies_to_every_story_and_a_storys_own_entry_wins()
    {
        var newsroom = new PronunciationDictionary(_dir.Combine("data", PronunciationDictionary.FileName));
        Assert.Empty(newsroom.Set("Ruiz", "R UW IY Z"));
        Assert.Empty(newsroom.Set("Nguyen", "WIN"));
        var speech = new SpeechStep([new FestivalSynthesizer()], newsroom.Load);

        var (_, track) = await SpeakAndAlign(speech, StoryOf("default", new Dictionary<string, string> { ["ruiz"] = "R UW IY S" }), "auto", "merged");

        Assert.Equal(RuizEntry, PhonesOf(track, "ruiz"));
        Assert.Equal(NguyenEntry, PhonesOf(track, "nguyen"));
    }

    [Theory]
    [InlineData("slt", "auto")]
    [InlineData("espeak-ng", "pocketsphinx")]
    public async Task A_possessive_is_said_from_the_entry_of_its_word(string voice, string aligner)
    {
        var story = new Story("names", "Names", ["Doctor Ruiz's plan passed."], [], "default", voice, StoryPriority.Normal, StoryOutput.LocalDefault,
            Pronunciations: new Dictionary<string, string> { ["Ruiz"] = "roo-EES" });

        var (_, track) = await SpeakAndAlign(new SpeechStep(SpeechStep.DefaultBackends()), story, aligner, "possessive");

        Assert.Equal(["R", "UW", "IY", "S", "IH", "Z"], PhonesOf(track, "ruiz's"));
    }

    [Fact]
    public void Tacotron2_reads_an_entry_as_arpabet_in_braces()
    {
        var (set, errors) = PronunciationSet.Parse(Entries, "pronunciations");
        Assert.Empty(errors);

        var text = Tacotron2Synthesizer.WithArpabet(Sentence, set);

        Assert.Equal("Doctor Ana {R UW0 IY1 S} met Mayor {W IH1 N} on Tuesday.", text);
        var ids = Tacotron2Text.ToSequence(text);
        var symbols = ids.Select(i => Tacotron2Text.Symbols[(int)i]).ToList();
        Assert.Equal(["@R", "@UW0", "@IY1", "@S"], symbols.SkipWhile(s => s != "@R").Take(4));
        Assert.Equal(Tacotron2Text.ToSequence(Sentence).Length - "Ruiz".Length - "Nguyen".Length + 4 + 3, ids.Length);
    }

    private sealed class SyncProgress : IProgress<double>
    {
        public void Report(double value) { }
    }
}
