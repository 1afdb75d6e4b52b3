using System.Diagnostics;
using NiusTv.Steps;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Speech.Normalization;
using Xunit;

namespace NiusTv.Tests.Phonemes;

/// <summary>Festival speaks a short story once per test class; the synthesizer aligner reads its timings and
/// pocketsphinx has to find the same phones in its audio.</summary>
public sealed class FestivalStory : IAsyncLifetime
{
    public static readonly string[] Written =
    [
        "The city council approved a new budget on Tuesday. Spending on schools rises by 4%, and the mayor said the plan would create 1,200 jobs.",
        "",
        "Officials expect the bridge to open in 2027. Dr. Ruiz, who leads the project, said the cost had grown to $2.5 million.",
        "Heavy rain is forecast for the weekend, with winds of up to 60 mph along the coast.",
    ];

    public TempFolder Folder { get; } = new();
    public IReadOnlyList<string> Spoken { get; } = Written.Select(TextNormalizer.Normalize).ToList();
    public string Wav => Folder.Combine(NiusTv.Steps.Artifacts.Speech.Name);
    public SpeechTimings Timings { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var festival = new FestivalSynthesizer();
        Assert.True(festival.IsAvailable, "festival and festvox-us-slt-hts must be installed for this test");
        Timings = (await festival.SynthesizeAsync(Spoken, Wav, CancellationToken.None)).Timings;
    }

    public AlignmentRequest Request => new(Wav, Timings, Spoken);

    public ValueTask DisposeAsync()
    {
        Folder.Dispose();
        return ValueTask.CompletedTask;
    }
}

[Trait("Speed", "Slow")]
public sealed class AlignerTests(FestivalStory story) : IClassFixture<FestivalStory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Synthesizer_aligner_takes_festivals_phones_in_the_cmu_set_with_their_words()
    {
        var aligner = new SynthesizerAligner();
        Assert.True(aligner.CanAlign(story.Request));
        var track = await aligner.AlignAsync(story.Request, new TestPronouncer(), Ct);

        Assert.Equal("synthesizer", track.Aligner);
        Assert.Equal(story.Timings.Duration, track.Duration, 6);
        Assert.Equal(story.Timings.Phones.Count, track.Phones.Count);
        Assert.All(track.Phones, p => Assert.True(CmuPhones.All.Contains(p.Phone) || p.Phone == PhoneTrack.Silence, p.Phone));
        // Festival's radio set has reduced vowels and pauses; they come out as AH, ER and SIL.
        Assert.Contains(story.Timings.Phones, p => p.Phone == "ax");
        Assert.Contains(track.Phones, p => p.Phone == PhoneTrack.Silence && p.Word == -1);
        Assert.DoesNotContain(track.Phones, p => p.Phone is "AX" or "PAU");

        // The words are the ones Festival said, from the normalized text: "twenty twenty seven", "doctor".
        var words = track.Words.Select(w => w.Text).ToList();
        Assert.Equal(story.Timings.Words.Select(w => w.Text), words);
        Assert.Contains("doctor", words);
        Assert.Equal(["twenty", "twenty", "seven"], words.SkipWhile(w => w != "in").Skip(1).Take(3));
        Assert.All(track.Words, w => Assert.Null(w.Source));
        Assert.Equal([0, 2, 3], track.Words.Select(w => w.Paragraph).Distinct());

        // Every spoken phone points at a word and lies inside it; every word has phones.
        foreach (var p in track.Phones.Where(p => p.Phone != PhoneTrack.Silence))
        {
            Assert.InRange(p.Word, 0, track.Words.Count - 1);
            var w = track.Words[p.Word];
            Assert.InRange(p.Start, w.Start - 1e-6, w.End + 1e-6);
            Assert.InRange(p.End, w.Start - 1e-6, w.End + 1e-6);
        }
        Assert.Equal(Enumerable.Range(0, track.Words.Count), track.Phones.Where(p => p.Word >= 0).Select(p => p.Word).Distinct());
        // "budget" is B AH JH IH T in the dictionary; Festival says b ah jh ax t.
        var budget = words.IndexOf("budget");
        Assert.Equal(["B", "AH", "JH", "AH", "T"], track.Phones.Where(p => p.Word == budget).Select(p => p.Phone));
    }

    [Fact]
    public void Synthesizer_aligner_refuses_timings_without_festival_phones()
    {
        var espeakLike = story.Timings with { Backend = "espeak-ng", Phones = [new TimedPhone("@", 0.1, 0.2, "a", 0)] };
        Assert.False(new SynthesizerAligner().CanAlign(story.Request with { Timings = espeakLike }));
        Assert.False(new SynthesizerAligner().CanAlign(story.Request with { Timings = story.Timings with { Phones = [] } }));
    }

    [Fact]
    public async Task Pocketsphinx_finds_festivals_phone_boundaries_within_40_ms()
    {
        var aligner = new PocketsphinxAligner();
        Assert.True(aligner.IsAvailable, "pocketsphinx, pocketsphinx-en-us and ffmpeg must be installed for this test");
        var pronouncer = new TestPronouncer();
        var clock = Stopwatch.StartNew();
        var track = await aligner.AlignAsync(story.Request, pronouncer, Ct);
        clock.Stop();
        var reference = await new SynthesizerAligner().AlignAsync(story.Request, pronouncer, Ct);

        Assert.Equal("pocketsphinx", track.Aligner);
        // Every word of the normalized script, in order, with its pronunciation's source.
        var script = story.Spoken.SelectMany((p, i) => ScriptWords.Split(p).Select(w => (w, i))).ToList();
        Assert.Equal(script.Select(s => s.w), track.Words.Select(w => w.Text));
        Assert.Equal(script.Select(s => s.i), track.Words.Select(w => w.Paragraph));
        Assert.All(track.Words, w => Assert.Equal(PronunciationSource.Dictionary, w.Source));
        Assert.All(track.Words, w => Assert.False(w.Estimated));
        for (var n = 1; n < track.Phones.Count; n++) Assert.True(track.Phones[n].Start >= track.Phones[n - 1].End - 1e-9);

        var (phoneMae, matched) = BoundaryError(reference.Phones, track.Phones);
        var startMae = reference.Words.Zip(track.Words, (r, h) => (r, h)).Where(z => z.r.Text == z.h.Text).Average(z => Math.Abs(z.r.Start - z.h.Start));
        var seconds = clock.Elapsed.TotalSeconds;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"pocketsphinx vs Festival: phone boundary MAE {phoneMae * 1000:0.0} ms over {matched} matched phones " +
            $"({reference.Phones.Count(p => p.Phone != PhoneTrack.Silence)} Festival phones), word start MAE {startMae * 1000:0.0} ms; " +
            $"{seconds:0.00} s for {track.Duration:0.0} s of audio = {seconds / track.Duration:0.000} s per s");
        Assert.True(matched >= 0.8 * reference.Phones.Count(p => p.Phone != PhoneTrack.Silence), $"only {matched} phones in common");
        Assert.True(phoneMae < 0.040, $"phone boundary MAE {phoneMae * 1000:0.0} ms");
    }

    /// <summary>Mean absolute error of the start and end of the phones the two tracks agree on, paired by a
    /// longest common subsequence of the phone names (Festival's lexicon and the CMU dictionary differ in a
    /// few phones, "the" is DH AH or DH IY).</summary>
    internal static (double Mae, int Matched) BoundaryError(IReadOnlyList<AlignedPhone> reference, IReadOnlyList<AlignedPhone> hypothesis)
    {
        var a = reference.Where(p => p.Phone != PhoneTrack.Silence).ToList();
        var b = hypothesis.Where(p => p.Phone != PhoneTrack.Silence).ToList();
        var lcs = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
            for (var j = b.Count - 1; j >= 0; j--)
                lcs[i, j] = a[i].Phone == b[j].Phone ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        double sum = 0;
        int matched = 0;
        for (int i = 0, j = 0; i < a.Count && j < b.Count;)
        {
            if (a[i].Phone == b[j].Phone && lcs[i, j] == lcs[i + 1, j + 1] + 1)
            {
                sum += Math.Abs(a[i].Start - b[j].Start) + Math.Abs(a[i].End - b[j].End);
                matched++; i++; j++;
            }
            else if (lcs[i + 1, j] >= lcs[i, j + 1]) i++;
            else j++;
        }
        return (sum / (2.0 * Math.Max(1, matched)), matched);
    }

    [Fact]
    public async Task Pocketsphinx_says_which_paragraph_does_not_match_the_audio()
    {
        // The audio says the story; the script claims a paragraph of other words, far longer than its audio.
        var wrong = story.Spoken.ToArray();
        wrong[3] = string.Join(' ', Enumerable.Repeat("extraordinary circumstances notwithstanding", 30));
        var failure = await Assert.ThrowsAsync<StepFailure>(() =>
            new PocketsphinxAligner().AlignAsync(story.Request with { Paragraphs = wrong }, new TestPronouncer(), Ct));
        Assert.False(failure.Transient);
        Assert.Contains("paragraph 3", failure.Message);
    }
}
