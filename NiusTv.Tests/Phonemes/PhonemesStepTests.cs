using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Phonemes;

/// <summary>The speech step speaks a story with numbers and abbreviations once (real Festival); the tests
/// run the phonemes step and the caption alignment on its workspace.</summary>
public sealed class SpokenWorkspace : IAsyncLifetime
{
    public static readonly Story Story = new("bridge-2019", "Bridge", [
        "In 2019, Dr. Ruiz said the $2.5 million bridge on Main St. would open at 10:30 am.",
        "It carries 1,200 cars a day, up 3.5% on last year.",
    ], [], "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);

    public TempFolder Folder { get; } = new();
    public IReadOnlyDictionary<string, string> Artifacts { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var speech = new SpeechStep([new FestivalSynthesizer()]);
        var output = await speech.RunAsync(new StepInput(Story, 1, Folder.Path, new Dictionary<string, string>()), new ProgressLog(), CancellationToken.None);
        Artifacts = output.Artifacts;
    }

    public SpeechTimings Timings => SpeechTimings.Load(Folder.Combine(NiusTv.Steps.Artifacts.Timings.Name));

    /// <summary>A workspace of its own for one test, with the same speech.wav and the given timings.</summary>
    public StepInput Copy(TempFolder into, SpeechTimings? timings = null)
    {
        File.Copy(Folder.Combine(NiusTv.Steps.Artifacts.Speech.Name), into.Combine(NiusTv.Steps.Artifacts.Speech.Name));
        File.Copy(Folder.Combine(NiusTv.Steps.Artifacts.Pronunciations.Name), into.Combine(NiusTv.Steps.Artifacts.Pronunciations.Name));
        (timings ?? Timings).Save(into.Combine(NiusTv.Steps.Artifacts.Timings.Name));
        return new StepInput(Story, 1, into.Path, Artifacts);
    }

    public ValueTask DisposeAsync()
    {
        Folder.Dispose();
        return ValueTask.CompletedTask;
    }
}

[Trait("Speed", "Slow")]
public sealed class PhonemesStepTests(SpokenWorkspace spoken) : IClassFixture<SpokenWorkspace>, IDisposable
{
    private readonly TempFolder _workspace = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _workspace.Dispose();

    private static PhonemesStep Step(string choice = "auto") =>
        new([new SynthesizerAligner(), new PocketsphinxAligner()], new TestPronouncer(), choice);

    [Fact]
    public void The_speech_step_speaks_the_normalized_text()
    {
        var words = spoken.Timings.Words.Where(w => w.Paragraph == 0).Select(w => w.Text).ToList();
        Assert.Equal(["in", "twenty", "nineteen", "doctor", "ruiz", "said", "the", "two", "point", "five", "million", "dollars", "bridge",
            "on", "main", "street", "would", "open", "at", "ten", "thirty"], words.Take(21));
    }

    [Fact]
    public async Task Auto_takes_festivals_own_timings_and_writes_phones_json()
    {
        var step = Step();
        var output = await step.RunAsync(spoken.Copy(_workspace), new ProgressLog(), Ct);

        Assert.Equal("synthesizer", output.Backend);
        Assert.Equal(new Dictionary<string, string> { ["phones.json"] = "phones.json" }, output.Artifacts);
        var track = PhoneTrack.Load(_workspace.Combine("phones.json"));
        Assert.Equal("synthesizer", track.Aligner);
        Assert.Equal(spoken.Timings.Words.Select(w => w.Text), track.Words.Select(w => w.Text));
        Assert.Contains(track.Words, w => w.Text == "nineteen");
        Assert.DoesNotContain(Directory.GetFiles(_workspace.Path), f => f.EndsWith(".tmp"));
    }

    [Fact]
    public async Task Auto_aligns_with_pocketsphinx_when_the_synthesizer_gave_no_phones()
    {
        // As Tacotron2 leaves them: paragraph spans, but no words or phones.
        var bare = spoken.Timings with { Backend = "tacotron2", Words = [], Phones = [] };
        var step = Step();
        var output = await step.RunAsync(spoken.Copy(_workspace, bare), new ProgressLog(), Ct);

        Assert.Equal("pocketsphinx", output.Backend);
        var track = PhoneTrack.Load(_workspace.Combine("phones.json"));
        Assert.Equal("pocketsphinx", track.Aligner);
        var expected = SpeechStep.SpokenParagraphs(SpokenWorkspace.Story).SelectMany(ScriptWords.Split);
        Assert.Equal(expected, track.Words.Select(w => w.Text));
        Assert.All(track.Words, w => Assert.Equal(PronunciationSource.Dictionary, w.Source));
        // Against Festival's own timing of the same words.
        var festival = spoken.Timings.Words;
        var pairs = festival.Zip(track.Words, (f, p) => (f, p)).Where(z => z.f.Text == z.p.Text).ToList();
        Assert.True(pairs.Count >= festival.Count - 2);
        Assert.True(pairs.Average(z => Math.Abs(z.f.Start - z.p.Start)) < 0.04);
    }

    [Fact]
    public async Task A_chosen_synthesizer_aligner_without_phones_is_a_clear_error()
    {
        var bare = spoken.Timings with { Backend = "tacotron2", Phones = [] };
        var failure = await Assert.ThrowsAsync<StepFailure>(() => Step("synthesizer").RunAsync(spoken.Copy(_workspace, bare), new ProgressLog(), Ct));
        Assert.Contains("Phonemes:Aligner", failure.Message);
        Assert.Contains("tacotron2", failure.Message);
        Assert.Throws<ArgumentException>(() => Step("sphinx3"));
    }

    [Fact]
    public async Task Missing_speech_is_a_permanent_failure_naming_the_artifact()
    {
        var input = new StepInput(SpokenWorkspace.Story, 1, _workspace.Path, new Dictionary<string, string>());
        var failure = await Assert.ThrowsAsync<StepFailure>(() => Step().RunAsync(input, new ProgressLog(), Ct));
        Assert.False(failure.Transient);
        Assert.Contains("speech.wav", failure.Message);
    }

    [Fact]
    public void Captions_keep_the_written_words_and_time_them_by_the_spoken_ones()
    {
        var timings = spoken.Timings;
        var words = timings.Words.Where(w => w.Paragraph == 0).OrderBy(w => w.Start).ToList();
        var span = timings.Paragraphs.Single(p => p.Index == 0);
        var tokens = TextWrap.Tokenize(SpokenWorkspace.Story.Paragraphs[0]);
        var timed = CaptionAligner.Align(tokens, words, span.Start, span.End);

        Assert.Equal(tokens, timed.Select(t => t.Text));
        TimedWord Said(string text, int nth = 0) => words.Where(w => w.Text == text).ElementAt(nth);
        TimedToken Token(string text) => timed.Single(t => t.Text == text);
        // "2019," is spoken as "twenty nineteen": its caption spans both words.
        Assert.Equal(Said("twenty").Start, Token("2019,").Start, 6);
        Assert.Equal(Said("nineteen").End, Token("2019,").End, 6);
        Assert.Equal(Said("doctor").Start, Token("Dr.").Start, 6);
        Assert.Equal(Said("two").Start, Token("$2.5").Start, 6);
        Assert.Equal(Said("five").End, Token("$2.5").End, 6);
        Assert.Equal(Said("street").Start, Token("St.").Start, 6);
        Assert.Equal(Said("ten").Start, Token("10:30").Start, 6);
        for (var n = 0; n + 1 < timed.Count; n++) Assert.True(timed[n].End <= timed[n + 1].Start + 1e-9);
        Assert.All(timed, t => Assert.True(t.End > t.Start, $"'{t.Text}' gets no time"));
    }
}
