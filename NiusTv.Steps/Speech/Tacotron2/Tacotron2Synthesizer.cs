using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using WaveGlowModel = NiusTv.Steps.Speech.WaveGlow.WaveGlow;
using Tacotron2Model = NiusTv.Steps.Speech.Tacotron2.Tacotron2;

namespace NiusTv.Steps.Speech.Tacotron2;

/// <summary>The <c>tacotron2</c> speech backend: NVIDIA's text front end, Tacotron2 greedy decoding (prenet dropout on,
/// as NVIDIA's inference has it) and WaveGlow with the denoiser, one sentence at a time. Each sentence's decode must
/// finish: the stop gate fires before the step limit and the attention has reached the end of the text; otherwise it
/// is tried again (dropout makes each try differ) and then reported. Tacotron2 gives no phone timings: timings.json
/// has exact paragraph spans, no phones, and words spread over their sentence's audio by length.</summary>
public sealed class Tacotron2Synthesizer(Tacotron2Voice voice, Tacotron2SpeechOptions options) : ISpeechSynthesizer
{
    public const string BackendName = "tacotron2";

    /// <summary>The attention's furthest point over the last frames must be within this many symbols of the end:
    /// the trained model ends on the final punctuation or the letter before it.</summary>
    public const int EndSlackSymbols = 2;
    private const int EndFrames = 5;

    public string Name => BackendName;

    /// <summary>The published checkpoints are trained on LJ Speech, one US English woman.</summary>
    public VoiceInfo Voice => new(BackendName, "en-US", "female", BackendName);

    public bool IsAvailable => true;

    public int SampleRate => voice.Config.SamplingRate;

    private int MaxSteps => options.MaxDecoderSteps ?? voice.Config.MaxDecoderSteps;

    private double GateThreshold => options.GateThreshold ?? voice.Config.GateThreshold;

    public async Task<SpeechResult> SynthesizeAsync(IReadOnlyList<string> paragraphs, string wavPath, CancellationToken ct,
        IProgress<double>? progress = null, Phonemes.PronunciationSet? pronunciations = null)
    {
        pronunciations ??= Phonemes.PronunciationSet.Empty;
        var clock = Stopwatch.StartNew();
        var work = paragraphs.Select((p, i) => (Index: i, Sentences: Sentences.Split(SpeechAssembly.StripControl(p), options.MaxSentenceChars)
                .Where(s => Tacotron2Text.ToSequence(s).Length > 0).ToList()))
            .Where(p => p.Sentences.Count > 0).ToList();
        if (work.Count == 0) throw StepFailure.Permanent("there is no text to speak: every paragraph is empty or has nothing Tacotron2 can say");

        var total = work.Sum(p => p.Sentences.Count);
        var done = 0;
        var pause = (int)Math.Round(options.SentencePauseSeconds * SampleRate);
        var result = new List<ParagraphSpeech>();
        foreach (var (index, sentences) in work)
        {
            var audio = new List<short>();
            var words = new List<LocalWord>();
            for (var s = 0; s < sentences.Count; s++)
            {
                ct.ThrowIfCancellationRequested();
                if (s > 0) audio.AddRange(new short[pause]);
                var start = audio.Count;
                // Words with an editor's pronunciation go in as ARPAbet ({R UW1 IY1 S}), which the front end passes through.
                audio.AddRange(await SpeakSentenceAsync(index, WithArpabet(sentences[s], pronunciations), ct));
                Spread(Tacotron2Text.SpokenWords(sentences[s]), (double)start / SampleRate, (double)audio.Count / SampleRate, words);
                progress?.Report(0.95 * ++done / total);
            }
            result.Add(new ParagraphSpeech(index, audio.ToArray(), [], [], words));
        }
        var timings = SpeechAssembly.Assemble(BackendName, SampleRate, result, wavPath);
        progress?.Report(1.0);
        return new SpeechResult(timings, wavPath, clock.Elapsed);
    }

    /// <summary>The sentence as Tacotron2 reads it: each word with an entry becomes its ARPAbet in braces.</summary>
    public static string WithArpabet(string sentence, Phonemes.PronunciationSet pronunciations) =>
        pronunciations.Substitute(sentence, Phonemes.PronunciationSet.ToArpabet);

    /// <summary>Words over [start, end) in proportion to their letters plus one for the gap after each: the sentence
    /// boundaries are exact, the word boundaries inside an estimate (good enough for captions).</summary>
    private static void Spread(IReadOnlyList<string> spoken, double start, double end, List<LocalWord> into)
    {
        if (spoken.Count == 0) return;
        double weight = spoken.Sum(w => w.Length + 1.0), at = start;
        foreach (var w in spoken)
        {
            var next = at + (end - start) * (w.Length + 1.0) / weight;
            into.Add(new LocalWord(w, at, Math.Min(next, end)));
            at = next;
        }
    }

    /// <summary>Why a decode is not kept; null when it finished.</summary>
    public static string? Unfinished(bool gateFired, int frames, int maxSteps, long furthest, long symbols) =>
        !gateFired ? $"the stop gate did not fire within the {maxSteps} decoder steps allowed (Speech:Tacotron2:MaxDecoderSteps)"
        : furthest < symbols - 1 - EndSlackSymbols ? $"the attention stopped at symbol {furthest + 1} of {symbols} after {frames} frames, short of the end of the text"
        : null;

    private async Task<short[]> SpeakSentenceAsync(int paragraph, string sentence, CancellationToken ct)
    {
        var ids = Tacotron2Text.ToSequence(sentence);
        var tries = 1 + Math.Max(0, options.Retries);
        Tensor? mel = null;
        string? reason = null;
        for (var attempt = 0; attempt < tries; attempt++)
        {
            mel?.Dispose();
            (mel, reason) = await voice.Tacotron2.RunAsync(() => Decode(ids), ct);
            if (reason is null || options.AcceptIncompleteDecodes) break;
        }
        if (reason is not null && !options.AcceptIncompleteDecodes)
        {
            mel!.Dispose();
            throw StepFailure.Permanent($"tacotron2 could not finish paragraph {paragraph + 1}, sentence \"{Shorten(sentence)}\" in {tries} tries: {reason}. " +
                "Rephrase or split the sentence, or publish the story with voice 'festival'.");
        }
        using (mel) return await voice.WaveGlow.RunAsync(() => Vocode(mel!), ct);
    }

    private (Tensor Mel, string? Unfinished) Decode(long[] ids)
    {
        using var scope = NewDisposeScope();
        var model = (Tacotron2Model)voice.Tacotron2.Module;
        var text = tensor(ids, device: voice.Device.Torch).unsqueeze(0);
        var output = model.Infer(text, GateThreshold, MaxSteps);
        var frames = (int)output.Mel.shape[2];
        var last = Math.Min(frames, EndFrames);
        var furthest = output.Alignments[0].narrow(0, frames - last, last).argmax(1).max().item<long>();
        return (output.MelPostnet.MoveToOuterDisposeScope(), Unfinished(output.GateFired, frames, MaxSteps, furthest, ids.Length));
    }

    private short[] Vocode(Tensor mel)
    {
        using var scope = NewDisposeScope();
        var model = (WaveGlowModel)voice.WaveGlow.Module;
        var type = voice.WaveGlowType;
        var device = voice.Device.Torch;
        var audio = model.Infer(mel.to_type(type), options.Sigma, shape => randn(shape, dtype: type, device: device), null);
        var clean = options.DenoiserStrength > 0 ? voice.Denoiser.Apply(audio, options.DenoiserStrength) : audio.to_type(ScalarType.Float32);
        if (!isfinite(clean).all().item<bool>())
            throw StepFailure.Permanent("WaveGlow produced samples that are not finite numbers; the WaveGlow checkpoint does not fit this Tacotron2 or is damaged");
        // MAX_WAV_VALUE 32768 as in NVIDIA's inference; clamped where the original's int16 cast would wrap around.
        var samples = (clean.squeeze(0) * 32768.0).clamp(-32768.0, 32767.0).round().to_type(ScalarType.Int16).cpu();
        return samples.data<short>().ToArray();
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
