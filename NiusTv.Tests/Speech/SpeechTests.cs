using System.Diagnostics;
using NiusTv.Steps;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Speech;

[Trait("Speed", "Slow")]
public sealed class SpeechTests : IDisposable
{
    private static readonly string[] TwoParagraphs =
    [
        "The city council approved the budget on Tuesday. Spending on schools rises by four percent.",
        "Opposition members said the plan leaves too little for roads.",
    ];

    private readonly DirectoryInfo _workspace = Directory.CreateTempSubdirectory("niustv-speech-test-");

    public void Dispose() => _workspace.Delete(recursive: true);

    private static Story StoryOf(IReadOnlyList<string> paragraphs, string voice = "default") =>
        new("council-budget", "Council approves budget", paragraphs, [], "anna", voice, StoryPriority.Normal, StoryOutput.LocalDefault);

    private StepInput InputOf(Story story) => new(story, 1, _workspace.FullName, new Dictionary<string, string>());

    private static async Task<(StepOutput Output, string Backend, List<double> Progress)> RunStep(SpeechStep step, StepInput input)
    {
        var reports = new List<double>();
        var output = await step.RunAsync(input, new SyncProgress(reports), TestContext.Current.CancellationToken);
        return (output, output.Backend!, reports);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool, so its reports may arrive after the call returns.</summary>
    private sealed class SyncProgress(List<double> reports) : IProgress<double>
    {
        public void Report(double value) { lock (reports) reports.Add(value); }
    }

    [Fact]
    public async Task Festival_two_paragraphs_give_matching_wav_and_timings()
    {
        var festival = new FestivalSynthesizer();
        Assert.True(festival.IsAvailable, "festival and festvox-us-slt-hts must be installed for this test");
        var step = new SpeechStep([festival, new EspeakSynthesizer()]);

        var clock = Stopwatch.StartNew();
        var (output, backend, progress) = await RunStep(step, InputOf(StoryOf(TwoParagraphs)));
        clock.Stop();

        Assert.Equal("festival", backend);
        var timings = AssertContract(output, "festival", TwoParagraphs.Length);
        Assert.Equal(32000, timings.SampleRate);
        var words = timings.Words.Select(w => w.Text).ToList();
        Assert.Contains("budget", words);
        Assert.Contains("council", words);
        Assert.Contains("tuesday", words);
        Assert.Contains("roads", words);
        // Festival expands numbers and the like into the words it actually speaks.
        Assert.Contains("four", words);
        Assert.Contains("percent", words);
        Assert.Contains(timings.Phones, p => p.Phone == "pau" && p.Word is null);
        Assert.All(timings.Phones.Where(p => p.Phone != "pau"), p => Assert.NotNull(p.Word));
        Assert.Equal(1.0, progress[^1]);
        for (int i = 1; i < progress.Count; i++) Assert.True(progress[i - 1] <= progress[i], "progress must not go backwards");
        Assert.Contains(progress, p => p > 0 && p < 1);
        TestContext.Current.SendDiagnosticMessage(
            $"festival: {timings.Duration:0.00} s of audio in {clock.Elapsed.TotalSeconds:0.00} s (RTF {clock.Elapsed.TotalSeconds / timings.Duration:0.000})");
    }

    [Fact]
    public async Task A_festival_timeout_on_a_paragraph_past_the_publish_bounds_is_permanent_and_on_ordinary_text_is_retried()
    {
        // No time at all: Festival cannot finish, so the outcome rests on the text alone, on any machine.
        var festival = new FestivalSynthesizer { BaseTimeout = TimeSpan.FromMilliseconds(1), TimeoutPerChar = TimeSpan.Zero };
        var wav = Path.Combine(_workspace.FullName, "speech.wav");
        var ordinary = await Assert.ThrowsAsync<StepFailure>(() => festival.SynthesizeAsync(TwoParagraphs, wav, TestContext.Current.CancellationToken));
        Assert.True(ordinary.Transient, ordinary.Message);

        // A story accepted before the bounds existed, with a 300-letter "word".
        var tooLong = "The code was " + string.Concat(Enumerable.Repeat("abcdefghij", 30)) + " all along.";
        var e = await Assert.ThrowsAsync<StepFailure>(() => festival.SynthesizeAsync([tooLong], wav, TestContext.Current.CancellationToken));
        Assert.False(e.Transient, e.Message);
        Assert.Contains("paragraph 1", e.Message);
        Assert.Contains("300 characters long; the limit is 64", e.Message);
    }

    [Fact]
    public async Task Espeak_backend_gives_the_same_contract()
    {
        var espeak = new EspeakSynthesizer();
        Assert.True(espeak.IsAvailable, "libespeak-ng1 must be installed for this test");
        var step = new SpeechStep([new FestivalSynthesizer(), espeak]);

        var clock = Stopwatch.StartNew();
        var (output, backend, _) = await RunStep(step, InputOf(StoryOf(TwoParagraphs, voice: "espeak-ng")));
        clock.Stop();

        Assert.Equal("espeak-ng", backend);
        var timings = AssertContract(output, "espeak-ng", TwoParagraphs.Length);
        Assert.Equal(22050, timings.SampleRate);
        var words = timings.Words.Select(w => w.Text).ToList();
        Assert.Contains("budget", words);
        Assert.Contains("tuesday", words);
        Assert.Contains("roads", words);
        // espeak mnemonics, e.g. "b" "V" "dZ" for budget.
        Assert.Contains(timings.Phones, p => p.Phone == "dZ" && p.Word == "budget");
        TestContext.Current.SendDiagnosticMessage(
            $"espeak-ng: {timings.Duration:0.00} s of audio in {clock.Elapsed.TotalSeconds:0.000} s");
    }

    [Fact]
    public async Task Blank_paragraphs_are_skipped_but_keep_their_index()
    {
        var step = new SpeechStep([new FestivalSynthesizer(), new EspeakSynthesizer()]);
        string[] paragraphs = ["", "The budget passed.", "   ", "Roads wait."];
        var (output, _, _) = await RunStep(step, InputOf(StoryOf(paragraphs)));
        var timings = SpeechTimings.Load(Path.Combine(_workspace.FullName, output.Artifacts["timings.json"]));
        Assert.Equal([1, 3], timings.Paragraphs.Select(p => p.Index));
        Assert.All(timings.Words, w => Assert.Contains(w.Paragraph, new[] { 1, 3 }));
    }

    [Theory]
    [InlineData("festival")]
    [InlineData("espeak-ng")]
    public async Task Scheme_hostile_text_is_spoken(string voice)
    {
        string[] paragraphs =
        [
            "He said \"no\" (twice) and typed C:\\temp\\ \\\" ; '(quote) #t) \") (exit 3)",
            "Caf\u00e9 owners in Z\u00fcrich \u201cagreed\u201d \u2014 budget\tline\none.",
        ];
        var step = new SpeechStep([new FestivalSynthesizer(), new EspeakSynthesizer()]);
        var (output, backend, _) = await RunStep(step, InputOf(StoryOf(paragraphs, voice)));
        Assert.Equal(voice, backend);
        var timings = AssertContract(output, voice, 2);
        var words = timings.Words.Select(w => w.Text).ToList();
        Assert.Contains("twice", words);
        Assert.Contains("budget", words);
        // Accents are folded, not spelled out byte by byte.
        Assert.Contains(words, w => w.StartsWith("caf", StringComparison.Ordinal) && w.Length == 4);
        Assert.Contains(words, w => w is "zurich" or "z\u00fcrich");
    }

    [Fact]
    public async Task Crashing_festival_is_a_transient_failure_with_its_stderr()
    {
        var script = await FakeTool("fake-festival", "echo 'SIOD ERROR: the voice exploded' >&2\nexit 1");

        var festival = new FestivalSynthesizer(program: script);
        var failure = await Assert.ThrowsAsync<StepFailure>(() =>
            festival.SynthesizeAsync(TwoParagraphs, Path.Combine(_workspace.FullName, "x.wav"), TestContext.Current.CancellationToken));
        Assert.True(failure.Transient);
        Assert.Contains("the voice exploded", failure.Message);
        Assert.Contains("code 1", failure.Message);
    }

    [Fact]
    public async Task Hanging_festival_is_stopped_and_its_stderr_reported()
    {
        var script = await FakeTool("stuck-festival", "echo 'loading voice' >&2\nexec sleep 60");
        var festival = new FestivalSynthesizer(program: script) { BaseTimeout = TimeSpan.FromSeconds(1), TimeoutPerChar = TimeSpan.Zero };
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<StepFailure>(() =>
            festival.SynthesizeAsync(TwoParagraphs, Path.Combine(_workspace.FullName, "x.wav"), TestContext.Current.CancellationToken));
        Assert.True(failure.Transient);
        Assert.Contains("did not finish", failure.Message);
        Assert.Contains("loading voice", failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Silent_festival_is_a_transient_failure()
    {
        var script = await FakeTool("mute-festival", "exit 0");

        var failure = await Assert.ThrowsAsync<StepFailure>(() => new FestivalSynthesizer(program: script)
            .SynthesizeAsync(TwoParagraphs, Path.Combine(_workspace.FullName, "x.wav"), TestContext.Current.CancellationToken));
        Assert.True(failure.Transient);
        Assert.Contains("printed nothing", failure.Message);
    }

    [Fact]
    public async Task Unknown_voice_is_a_permanent_failure_naming_the_field()
    {
        var step = new SpeechStep([new FestivalSynthesizer(), new EspeakSynthesizer()]);
        var failure = await Assert.ThrowsAsync<StepFailure>(() => RunStep(step, InputOf(StoryOf(TwoParagraphs, voice: "morgan-freeman"))));
        Assert.False(failure.Transient);
        Assert.Contains("voice", failure.Message);
        Assert.Contains("morgan-freeman", failure.Message);
        Assert.Contains("festival", failure.Message);
        Assert.Contains("espeak-ng", failure.Message);
        Assert.False(File.Exists(Path.Combine(_workspace.FullName, "speech.wav")));
    }

    [Fact]
    public async Task Empty_script_is_a_permanent_failure()
    {
        var step = new SpeechStep([new FestivalSynthesizer(), new EspeakSynthesizer()]);
        var failure = await Assert.ThrowsAsync<StepFailure>(() => RunStep(step, InputOf(StoryOf(["", "  \n "]))));
        Assert.False(failure.Transient);
        Assert.Contains("paragraphs", failure.Message);
    }

    [Fact]
    public async Task Festival_is_preferred_and_espeak_takes_over_where_it_is_missing()
    {
        var missing = new FestivalSynthesizer(program: "/nonexistent/festival");
        Assert.False(missing.IsAvailable);
        var step = new SpeechStep([missing, new EspeakSynthesizer()]);
        Assert.Equal("espeak-ng", step.Backend);
        var (output, backend, _) = await RunStep(step, InputOf(StoryOf(TwoParagraphs)));
        Assert.Equal("espeak-ng", backend);
        AssertContract(output, "espeak-ng", 2);

        Assert.Equal("festival", new SpeechStep([new FestivalSynthesizer(), new EspeakSynthesizer()]).Backend);
    }

    [Fact]
    public void Wave_reader_walks_chunks_before_data()
    {
        // A LIST chunk with an odd size (and its pad byte) before the data, as some tools write.
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            short[] samples = [1, -2, 300, short.MinValue];
            w.Write("RIFF"u8); w.Write(0u); w.Write("WAVE"u8);
            w.Write("fmt "u8); w.Write(16u); w.Write((ushort)1); w.Write((ushort)1); w.Write(16000); w.Write(32000); w.Write((ushort)2); w.Write((ushort)16);
            w.Write("LIST"u8); w.Write(5u); w.Write("abcde"u8); w.Write((byte)0);
            w.Write("data"u8); w.Write((uint)(samples.Length * 2));
            foreach (var s in samples) w.Write(s);
        }
        var wav = WaveFile.Parse(ms.ToArray());
        Assert.Equal(16000, wav.SampleRate);
        Assert.Equal([1, -2, 300, short.MinValue], wav.Samples);
    }

    /// <summary>A shell script standing in for a real tool, to see how its failures reach the step.</summary>
    private async Task<string> FakeTool(string name, string body)
    {
        var path = Path.Combine(_workspace.FullName, name);
        await File.WriteAllTextAsync(path, $"#!/bin/sh\n{body}\n", TestContext.Current.CancellationToken);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>The timings.json contract every backend must meet, checked against the WAV itself.</summary>
    private SpeechTimings AssertContract(StepOutput output, string backend, int paragraphCount)
    {
        Assert.Equal("speech.wav", output.Artifacts["speech.wav"]);
        Assert.Equal("timings.json", output.Artifacts["timings.json"]);
        Assert.Empty(_workspace.GetFiles("*.tmp"));
        var wavPath = Path.Combine(_workspace.FullName, "speech.wav");
        var wav = WaveFile.Read(wavPath);
        var timings = SpeechTimings.Load(Path.Combine(_workspace.FullName, "timings.json"));

        Assert.Equal(backend, timings.Backend);
        Assert.Equal(wav.SampleRate, timings.SampleRate);
        // 16-bit mono PCM: the reader rejects anything else; the header must also describe it.
        var header = File.ReadAllBytes(wavPath).AsSpan(0, 36).ToArray();
        Assert.Equal(1, BitConverter.ToUInt16(header, 20));
        Assert.Equal(1, BitConverter.ToUInt16(header, 22));
        Assert.Equal(16, BitConverter.ToUInt16(header, 34));
        Assert.InRange(timings.Duration, wav.Duration - 1.0 / wav.SampleRate, wav.Duration + 1.0 / wav.SampleRate);
        Assert.True(wav.Samples.Any(s => Math.Abs((int)s) > 1000), "the WAV should hold audible speech");

        Assert.Equal(paragraphCount, timings.Paragraphs.Count);
        for (int i = 0; i < timings.Paragraphs.Count; i++)
        {
            var p = timings.Paragraphs[i];
            Assert.True(p.End > p.Start);
            if (i > 0)
            {
                var prev = timings.Paragraphs[i - 1];
                Assert.True(p.Index > prev.Index);
                Assert.True(p.Start - prev.End > 0.4, $"expected a pause between paragraphs {prev.Index} and {p.Index}");
                // The gap is silence.
                int from = (int)Math.Ceiling(prev.End * wav.SampleRate), to = (int)Math.Floor(p.Start * wav.SampleRate);
                Assert.All(wav.Samples[from..to], s => Assert.Equal(0, s));
            }
        }
        Assert.Equal(0, timings.Paragraphs[0].Start, 6);
        Assert.Equal(timings.Duration, timings.Paragraphs[^1].End, 6);

        Assert.NotEmpty(timings.Phones);
        double last = 0;
        foreach (var ph in timings.Phones)
        {
            Assert.True(ph.Start >= last - 1e-9, $"phone {ph.Phone} starts at {ph.Start} before {last}");
            Assert.True(ph.End >= ph.Start);
            var span = timings.Paragraphs.Single(p => p.Index == ph.Paragraph);
            Assert.InRange(ph.Start, span.Start - 1e-9, span.End + 1e-9);
            Assert.InRange(ph.End, span.Start - 1e-9, span.End + 1e-9);
            last = ph.End;
        }
        // Each paragraph's phones run to the end of its audio.
        foreach (var span in timings.Paragraphs)
            Assert.Equal(span.End, timings.Phones.Last(p => p.Paragraph == span.Index).End, 6);

        Assert.NotEmpty(timings.Words);
        double lastWord = 0;
        foreach (var w in timings.Words)
        {
            Assert.False(string.IsNullOrWhiteSpace(w.Text));
            Assert.Equal(w.Text.ToLowerInvariant(), w.Text);
            Assert.True(w.Start >= lastWord - 1e-9 && w.End > w.Start, $"word '{w.Text}' {w.Start}-{w.End}");
            lastWord = w.Start;
            // A word starts with its first phone.
            Assert.Contains(timings.Phones, p => p.Word == w.Text && Math.Abs(p.Start - w.Start) < 1e-9);
        }
        return timings;
    }
}
