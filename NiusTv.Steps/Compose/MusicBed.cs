using System.Globalization;
using System.Text;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Compose;

/// <summary>A brand's music bed under the story: looped to the video's length, brought to its loudness relative to the
/// output target, and ducked while the anchor speaks. The ducking is volume automation computed from the speech's word
/// timings rather than a sidechain compressor: a compressor's reduction depends on how loud each syllable is and lets
/// the bed swell back in every breath, while the timings say exactly when the anchor speaks, so the bed is down by the
/// full <c>duck</c> (≥12 dB) for every spoken phrase, with linear-in-dB ramps that start before the first word.</summary>
public static class MusicBed
{
    /// <summary>Ramp length into and out of a duck. Long enough not to pump, short enough to be down before the first word.</summary>
    public const double RampSeconds = 0.3;

    /// <summary>Pauses shorter than this (between words, between sentences) keep the bed down: a bed that jumps up in
    /// every half-second breath is the "pumping" listeners hate.</summary>
    public const double MergeGapSeconds = 0.8;

    /// <summary>Volume is evaluated per audio frame; 10 ms frames make the ramps 30 steps of a fraction of a dB.</summary>
    private const int SamplesPerGainStep = 480;

    /// <summary>The spans, in video time, where the anchor speaks: words offset by the title card, short pauses merged.</summary>
    public static IReadOnlyList<(double Start, double End)> SpeechSpans(SpeechTimings timings, double offset)
    {
        var spans = new List<(double Start, double End)>();
        foreach (var w in timings.Words.Where(w => w.End > w.Start).OrderBy(w => w.Start))
        {
            var (s, e) = (w.Start + offset, w.End + offset);
            if (spans.Count > 0 && s - spans[^1].End < MergeGapSeconds) spans[^1] = (spans[^1].Start, Math.Max(spans[^1].End, e));
            else spans.Add((s, e));
        }
        return spans;
    }

    /// <summary>0 where the bed plays at its level, 1 where it is fully ducked, as an ffmpeg expression of <c>t</c>.
    /// Fully ducked from each span's start to its end; linear ramps of <see cref="RampSeconds"/> outside them.
    /// The max over spans is a balanced tree, so a long story's expression stays shallow for ffmpeg's parser.</summary>
    internal static string DuckExpression(IReadOnlyList<(double Start, double End)> spans)
    {
        if (spans.Count == 0) return "0";
        var inv = CultureInfo.InvariantCulture;
        var r = RampSeconds.ToString("0.###", inv);
        var terms = spans.Select(sp =>
            $"clip(min((t-{(sp.Start - RampSeconds).ToString("0.####", inv)})/{r},({(sp.End + RampSeconds).ToString("0.####", inv)}-t)/{r}),0,1)").ToList();
        string Max(int from, int count) => count == 1 ? terms[from] : $"max({Max(from, count / 2)},{Max(from + count / 2, count - count / 2)})";
        return Max(0, terms.Count);
    }

    /// <summary>Writes <paramref name="output"/> (48 kHz stereo float WAV, <paramref name="duration"/> long): the speech
    /// delayed by <paramref name="speechDelay"/> over the looped bed at <paramref name="bedGainDb"/>, ducked by
    /// <paramref name="duckDb"/> in <paramref name="spans"/>. Float, because the sum may pass full scale before the
    /// loudness normalization that follows brings it down.</summary>
    public static async Task MixAsync(string ffmpeg, string speechWav, double speechDelay, double duration, string bed,
        double bedGainDb, double duckDb, IReadOnlyList<(double Start, double End)> spans, string output, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var d = duration.ToString("0.######", inv);
        var delay = (long)Math.Round(speechDelay * Loudness.OutputSampleRate);
        const string format = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo";
        var gain = $"pow(10,({bedGainDb.ToString("0.###", inv)}-{duckDb.ToString("0.###", inv)}*({DuckExpression(spans)}))/20)";
        var graph = new StringBuilder()
            .Append($"[0:a]{format},adelay=delays={delay}S:all=1,apad,atrim=duration={d}[s];")
            .Append($"[1:a]{format},atrim=duration={d},asetnsamples=n={SamplesPerGainStep},volume=volume='{gain}':eval=frame[b];")
            .Append($"[s][b]amix=inputs=2:normalize=0:duration=first,atrim=duration={d}[m]")
            .ToString();
        // ffmpeg reads a long filter graph from a file just as well, and the command line stays short for ps and errors.
        var script = output + ".graph";
        await File.WriteAllTextAsync(script, graph, ct);
        try
        {
            var result = await new ExternalTool(ffmpeg).RunAsync(
                ["-hide_banner", "-nostats", "-loglevel", "error", "-y", "-i", speechWav, "-stream_loop", "-1", "-i", bed,
                    "-filter_complex_script", script, "-map", "[m]", "-c:a", "pcm_f32le", "-f", "wav", output],
                TimeSpan.FromMinutes(5), ct);
            if (result.ExitCode != 0)
                throw StepFailure.Retryable($"ffmpeg could not mix the music bed under the speech (exit {result.ExitCode}): {result.StderrTail.Trim()}");
        }
        finally { File.Delete(script); }
    }
}
