using System.Text.Json;
using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Models;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Speech.Tacotron2;
using NiusTv.Steps.Stories;
using NiusTv.Tests.Models;
using TorchSharp.PyBridge;
using Xunit;

namespace NiusTv.Tests.Speech;

/// <summary>The tacotron2 speech backend with small random-weight checkpoints made here: audio and timings, the step
/// limit, unfinished decodes, and the start-up errors for bad checkpoints.</summary>
[Trait("Speed", "Slow")]
public sealed class Tacotron2SpeechTests : IDisposable
{
    private static readonly string[] Story =
    [
        "The harbour reopened on Monday. Dr. Smith cut the ribbon at 9 a.m. before the crowd.",
        "Fishing boats returned before dawn! Was the catch good? Traders said it was the best in 3 years.",
    ];

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private Tacotron2SpeechOptions Options(int maxSteps, double gateBias, bool accept, bool flatAttention = false) => new()
    {
        Tacotron2Checkpoint = RandomSpeechCheckpoints.Tacotron2(_dir.Path, maxSteps, gateBias, flatAttention: flatAttention),
        WaveGlowCheckpoint = RandomSpeechCheckpoints.WaveGlow(_dir.Path),
        AcceptIncompleteDecodes = accept,
    };

    [Fact]
    public void The_front_end_gives_the_fixture_texts_nvidias_ids()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedFixtures.Folder("tacotron2"), "config.json")));
        var root = config.RootElement;
        Assert.Equal(root.GetProperty("symbols").EnumerateArray().Select(s => s.GetString()!), Tacotron2Text.Symbols);
        var texts = root.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToList();
        var cleaned = root.GetProperty("cleaned_texts").EnumerateArray().Select(t => t.GetString()!).ToList();
        var ids = root.GetProperty("text_ids").EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToList();
        for (var i = 0; i < texts.Count; i++)
        {
            Assert.Equal(cleaned[i], Tacotron2Text.EnglishCleaners(texts[i]));
            Assert.Equal(ids[i], Tacotron2Text.ToSequence(texts[i]));
        }
    }

    [Theory]
    [InlineData("In 1984 it cost $3.50.", "in nineteen eighty-four it cost three dollars, fifty cents.")]
    [InlineData("The 21st of 12,345 runners in 2005, 1905 and 1900.", "the twenty-first of twelve thousand, three hundred forty-five runners in two thousand five, nineteen oh five and nineteen hundred.")]
    [InlineData("1,234 people, 1000000 dollars", "twelve thirty-four people, one million dollars")]
    [InlineData("Mr.  Brown met Capt. Gray   at  St. Mary's; 2.5 km.", "mister brown met captain gray at saint mary's; two point five km.")]
    [InlineData("Café Zürich — 100th day", "cafe zurich - one hundredth day")]
    public void English_cleaners_expand_as_nvidias_do(string text, string expected) =>
        Assert.Equal(expected, Tacotron2Text.EnglishCleaners(text));

    [Fact]
    public void Arpabet_in_curly_braces_passes_through_as_phones()
    {
        var ids = Tacotron2Text.ToSequence("Say {HH AH0 L OW1} now");
        var symbols = ids.Select(i => Tacotron2Text.Symbols[(int)i]).ToList();
        Assert.Equal(["s", "a", "y", " ", "@HH", "@AH0", "@L", "@OW1", " ", "n", "o", "w"], symbols);
    }

    [Fact]
    public void Sentences_split_at_ends_but_not_after_abbreviations_or_initials_and_long_ones_are_cut()
    {
        Assert.Equal(["Dr. Smith met J. Brown at 9 a.m. on Monday.", "\"Good,\" he said!", "Was it?", "Yes."],
            Sentences.Split("Dr. Smith met J. Brown at 9 a.m. on Monday. \"Good,\" he said! Was it? Yes.", 180));
        var longOne = string.Join(", ", Enumerable.Repeat("the quick brown fox jumps", 12)) + ".";
        var pieces = Sentences.Split(longOne, 100);
        Assert.All(pieces, p => Assert.InRange(p.Length, 1, 100));
        Assert.Equal(longOne.Replace(" ", ""), string.Concat(pieces).Replace(" ", ""));
    }

    [Fact]
    public async Task A_two_paragraph_story_becomes_a_wav_with_exact_paragraph_spans_and_each_sentence_stops_at_the_step_limit()
    {
        const int maxSteps = 12;
        var options = Options(maxSteps, gateBias: -100, accept: true);
        using var models = new ModelRegistry(ModelDevice.Cpu);
        using var voice = Tacotron2Voice.Load(options, models);
        var step = new SpeechStep([new Tacotron2Synthesizer(voice, options)]);
        var workspace = _dir.Folder("ws");
        var story = new Story("harbour", "Harbour reopens", Story, [], "anna", "default", StoryPriority.Normal, StoryOutput.LocalDefault);
        var progress = new ProgressLog();
        await step.RunAsync(new StepInput(story, 1, workspace, new Dictionary<string, string>()), progress, TestContext.Current.CancellationToken);

        var wav = WaveFile.Read(Path.Combine(workspace, NiusTv.Steps.Artifacts.Speech.Name));
        var timings = SpeechTimings.Load(Path.Combine(workspace, NiusTv.Steps.Artifacts.Timings.Name));
        Assert.Equal(22050, wav.SampleRate);
        Assert.Equal("tacotron2", timings.Backend);
        // The gate never fires: every sentence is exactly maxSteps frames of 256 samples; sentences are 0.25 s apart,
        // paragraphs 0.6 s. The sentences are those of the normalized text the speech step hands on ("Dr." became
        // "doctor", "9 a.m." "nine a m"): the voice splits what it is given.
        var spoken = SpeechStep.SpokenParagraphs(story);
        var counts = spoken.Select(p => Sentences.Split(p, 180).Count).ToArray();
        Assert.DoesNotContain(spoken, p => p.Any(char.IsDigit));
        Assert.Contains("doctor", spoken[0], StringComparison.OrdinalIgnoreCase);
        int frame = maxSteps * 256, pause = (int)Math.Round(0.25 * 22050), gap = (int)Math.Round(0.6 * 22050);
        int p0 = counts[0] * frame + (counts[0] - 1) * pause, p1 = counts[1] * frame + (counts[1] - 1) * pause;
        Assert.Equal(p0 + gap + p1, wav.Samples.Length);
        Assert.Equal(2, timings.Paragraphs.Count);
        Assert.Equal((0, 0.0, (double)p0 / 22050), (timings.Paragraphs[0].Index, timings.Paragraphs[0].Start, timings.Paragraphs[0].End), new SpanComparer());
        Assert.Equal((1, (double)(p0 + gap) / 22050, (double)(p0 + gap + p1) / 22050), (timings.Paragraphs[1].Index, timings.Paragraphs[1].Start, timings.Paragraphs[1].End), new SpanComparer());
        Assert.Equal(wav.Duration, timings.Duration, 6);
        Assert.Empty(timings.Phones);
        // Words are the cleaned text ("doctor", "nine"), spread inside their paragraph in spoken order.
        Assert.Contains(timings.Words, w => w.Text == "doctor" && w.Paragraph == 0);
        Assert.Contains(timings.Words, w => w.Text == "three" && w.Paragraph == 1);
        foreach (var w in timings.Words)
        {
            var span = timings.Paragraphs.Single(s => s.Index == w.Paragraph);
            Assert.InRange(w.Start, span.Start - 1e-9, w.End);
            Assert.InRange(w.End, w.Start, span.End + 1e-9);
        }
        Assert.True(wav.Samples.Any(s => s != 0), "the audio is all silence");
        Assert.Equal(1.0, progress.Values[^1]);

        // Captions still come out of timings without phones: every paragraph's text is on screen within its span.
        var track = CaptionTrack.Build(story, timings, s => s.Length * 10f, 400f, 2.0, 2.0 + timings.Duration);
        foreach (var p in new[] { 0, 1 })
        {
            var cues = track.Cues.Where(c => c.Paragraph == p).ToList();
            Assert.NotEmpty(cues);
            Assert.Equal(Story[p].Replace(" ", ""), string.Concat(cues.Select(c => c.Text)).Replace(" ", ""));
            Assert.InRange(cues[0].Start, 2.0 + timings.Paragraphs[p].Start - 1e-6, 2.0 + timings.Paragraphs[p].End);
        }
    }

    private sealed class SpanComparer : IEqualityComparer<(int, double, double)>
    {
        public bool Equals((int, double, double) a, (int, double, double) b) => a.Item1 == b.Item1 && Math.Abs(a.Item2 - b.Item2) < 1e-9 && Math.Abs(a.Item3 - b.Item3) < 1e-9;
        public int GetHashCode((int, double, double) x) => x.Item1;
    }

    [Fact]
    public async Task A_decode_that_hits_the_step_limit_is_retried_and_then_fails_the_step_naming_the_sentence()
    {
        var options = Options(10, gateBias: -100, accept: false) with { Retries = 1 };
        using var models = new ModelRegistry(ModelDevice.Cpu);
        using var voice = Tacotron2Voice.Load(options, models);
        var synth = new Tacotron2Synthesizer(voice, options);
        var e = await Assert.ThrowsAsync<StepFailure>(() => synth.SynthesizeAsync(["Nothing stops this one."], _dir.Combine("a.wav"), TestContext.Current.CancellationToken));
        Assert.False(e.Transient);
        Assert.Contains("\"Nothing stops this one.\" in 2 tries", e.Message);
        Assert.Contains("did not fire within the 10 decoder steps", e.Message);
        Assert.False(File.Exists(_dir.Combine("a.wav")));
    }

    [Fact]
    public async Task A_decode_whose_attention_stops_short_of_the_end_fails_the_step()
    {
        // The gate fires on the first frame, and flat attention stays on the first symbol.
        var options = Options(10, gateBias: 100, accept: false, flatAttention: true);
        using var models = new ModelRegistry(ModelDevice.Cpu);
        using var voice = Tacotron2Voice.Load(options, models);
        var synth = new Tacotron2Synthesizer(voice, options);
        var e = await Assert.ThrowsAsync<StepFailure>(() => synth.SynthesizeAsync(["A sentence long enough to need many frames."], _dir.Combine("a.wav"), TestContext.Current.CancellationToken));
        Assert.Contains("in 3 tries", e.Message);
        Assert.Contains("attention stopped at symbol 1 of 43 after 1 frames", e.Message);
        Assert.Contains("short of the end of the text", e.Message);
    }

    [Fact]
    public async Task A_sentence_of_one_frame_is_still_vocoded_and_denoised()
    {
        // Shorter than the denoiser's STFT window: the audio is padded for the transform and cut back after it.
        var options = Options(10, gateBias: 100, accept: true);
        using var models = new ModelRegistry(ModelDevice.Cpu);
        using var voice = Tacotron2Voice.Load(options, models);
        var result = await new Tacotron2Synthesizer(voice, options).SynthesizeAsync(["Hi."], _dir.Combine("a.wav"), TestContext.Current.CancellationToken);
        Assert.Equal(256, WaveFile.Read(_dir.Combine("a.wav")).Samples.Length);
        Assert.Equal(256 / 22050.0, result.Timings.Duration, 9);
    }

    [Fact]
    public void The_denoiser_leaves_audio_alone_at_strength_0_and_takes_the_hiss_out_of_silence()
    {
        var options = Options(10, -100, true);
        using var models = new ModelRegistry(ModelDevice.Cpu);
        using var voice = Tacotron2Voice.Load(options, models);
        var waveglow = (NiusTv.Steps.Speech.WaveGlow.WaveGlow)voice.WaveGlow.Module;
        using var _ = TorchSharp.torch.no_grad();
        using var audio = TorchSharp.torch.randn(1, 5000) * 0.1;
        using var same = voice.Denoiser.Apply(audio, 0.0);
        Assert.Equal(audio.shape, same.shape);
        Assert.True((same - audio).abs().max().item<float>() < 1e-5f, "STFT and inverse STFT do not give the audio back");
        // What WaveGlow makes of silence is the hiss itself: at strength 1 most of it goes.
        using var mel = TorchSharp.torch.zeros(1, RandomSpeechCheckpoints.MelChannels, 40);
        using var hiss = waveglow.Infer(mel, 0.0, shape => TorchSharp.torch.zeros(shape), null);
        using var cleaned = voice.Denoiser.Apply(hiss, 1.0);
        var before = hiss.pow(2).sum().item<float>();
        var after = cleaned.pow(2).sum().item<float>();
        Assert.True(before > 0 && after < 0.5 * before, $"hiss energy {before} before, {after} after");
        Assert.Equal(513, voice.Denoiser.Bias.shape[0]);
    }

    [Fact]
    public void The_registry_lists_both_models_with_their_parameters_and_memory()
    {
        var options = Options(10, -100, true);
        using var models = new ModelRegistry(ModelDevice.Cpu);
        using var voice = Tacotron2Voice.Load(options, models);
        Assert.Equal(["tacotron2", "waveglow"], models.Models.Select(m => m.Name));
        foreach (var m in models.Models)
        {
            var expected = m.Module.parameters().Sum(p => p.numel());
            Assert.Equal(expected, m.Parameters);
            Assert.True(m.Bytes >= 4 * expected, $"{m.Name}: {m.Bytes} bytes for {expected} float32 parameters");
            Assert.Equal("cpu", m.Device);
            Assert.Equal("float32", m.DType);
            Assert.True(File.Exists(m.Checkpoint));
        }
        // The fixture's own count, from config.json, for the published architecture's smaller sibling.
        using var fixture = new ModelRegistry(ModelDevice.Cpu);
        var folder = SharedFixtures.Folder("tacotron2");
        var t2 = new Tacotron2(Tacotron2Config.Load(Path.Combine(folder, "config.json")));
        StateDict.LoadInto(t2, Path.Combine(folder, "state_dict.pt"));
        Assert.Equal(156737, fixture.Register("t2", "Tacotron2", Path.Combine(folder, "state_dict.pt"), t2).Parameters);
    }

    [Fact]
    public void A_missing_checkpoint_is_an_error_naming_the_file()
    {
        var options = Options(10, -100, true) with { WaveGlowCheckpoint = _dir.Combine("nowhere", "state_dict.pt") };
        using var models = new ModelRegistry(ModelDevice.Cpu);
        var e = Assert.Throws<CheckpointException>(() => Tacotron2Voice.Load(options, models));
        Assert.Contains(_dir.Combine("nowhere", "state_dict.pt") + ": no such checkpoint file", e.Message);
        Assert.Empty(models.Models);
    }

    [Fact]
    public void A_truncated_checkpoint_is_an_error_saying_so()
    {
        var options = Options(10, -100, true);
        var bytes = File.ReadAllBytes(options.Tacotron2Checkpoint);
        File.WriteAllBytes(options.Tacotron2Checkpoint, bytes[..(bytes.Length / 2)]);
        using var models = new ModelRegistry(ModelDevice.Cpu);
        var e = Assert.Throws<CheckpointException>(() => Tacotron2Voice.Load(options, models));
        Assert.Contains(options.Tacotron2Checkpoint, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void A_checkpoint_with_keys_missing_and_unexpected_lists_them()
    {
        var options = Options(10, -100, true);
        var tensors = StateDict.Read(options.Tacotron2Checkpoint);
        tensors.Remove("postnet.convolutions.4.1.running_var");
        tensors.Remove("decoder.gate_layer.linear_layer.bias");
        tensors["decoder.extra_layer.weight"] = TorchSharp.torch.zeros(3);
        using (var stream = File.Create(options.Tacotron2Checkpoint)) PyTorchPickler.PickleStateDict(stream, tensors);
        using var models = new ModelRegistry(ModelDevice.Cpu);
        var e = Assert.Throws<CheckpointException>(() => Tacotron2Voice.Load(options, models));
        Assert.Contains("missing keys (2): decoder.gate_layer.linear_layer.bias, postnet.convolutions.4.1.running_var", e.Message);
        Assert.Contains("unexpected keys (1): decoder.extra_layer.weight", e.Message);
    }

    [Fact]
    public void A_checkpoint_with_wrong_shapes_lists_each_key_with_both_shapes()
    {
        var options = Options(10, -100, true) with { Tacotron2Checkpoint = RandomSpeechCheckpoints.Tacotron2(_dir.Combine("other"), 10, decoderRnnDim: 48, configRnnDim: 64) };
        using var models = new ModelRegistry(ModelDevice.Cpu);
        var e = Assert.Throws<CheckpointException>(() => Tacotron2Voice.Load(options, models));
        Assert.Contains("wrong shapes", e.Message);
        Assert.Contains("decoder.decoder_rnn.weight_hh: checkpoint [192, 48], model [256, 64]", e.Message);
        Assert.Contains("decoder.gate_layer.linear_layer.weight: checkpoint [1, 80], model [1, 96]", e.Message);
        Assert.Empty(models.Models);
    }

    [Fact]
    public void Mismatched_mel_channels_between_the_two_models_are_an_error()
    {
        var options = Options(10, -100, true);
        var config = Path.Combine(Path.GetDirectoryName(options.WaveGlowCheckpoint)!, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"n_mel_channels\":16", "\"n_mel_channels\":80"));
        using var models = new ModelRegistry(ModelDevice.Cpu);
        var e = Assert.Throws<CheckpointException>(() => Tacotron2Voice.Load(options, models));
        Assert.Contains("takes 80 mel channels but Tacotron2", e.Message);
    }

    [Fact]
    public void Cuda_on_this_cpu_build_and_fp16_on_cpu_are_errors()
    {
        Assert.Equal("cuda:1", ModelDevice.Parse("cuda:1").Name);
        Assert.Equal("cuda:0", ModelDevice.Parse("CUDA").Name);
        Assert.Contains("use cpu, cuda or cuda:N", Assert.Throws<FormatException>(() => ModelDevice.Parse("gpu")).Message);
        var e = Assert.Throws<InvalidOperationException>(() => ModelDevice.Parse("cuda").EnsureAvailable());
        Assert.Contains("NiusTvTorchPackage", e.Message);
        using var models = new ModelRegistry(ModelDevice.Cpu);
        Assert.Contains("fp16 is for CUDA only", Assert.Throws<CheckpointException>(() => Tacotron2Voice.Load(Options(10, -100, true) with { Fp16 = true }, models)).Message);
    }
}
