using System.Globalization;
using System.Text.RegularExpressions;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Compose;

/// <summary>Integrated loudness (LUFS, EBU R128 / ITU-R BS.1770) and true peak (dBTP) of a file's first audio
/// stream, as ffmpeg's <c>ebur128</c> filter reports them. <see cref="double.NegativeInfinity"/> for silence.</summary>
public sealed record LoudnessMeasurement(double Integrated, double TruePeak)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Integrated:0.0} LUFS, true peak {TruePeak:0.0} dBTP");
}

/// <summary>Brings speech to a target integrated loudness with a true-peak ceiling, in two passes as loudnorm's
/// two-pass mode does: measure, then one linear gain for the whole file. Where that gain would push peaks over
/// the ceiling (synthetic speech has a peak-to-loudness ratio of ~16 dB, more than −16 LUFS under −1.5 dBTP
/// leaves), a look-ahead limiter at 4× the sample rate (192 kHz, so inter-sample peaks are caught) holds the
/// few peaks down; the limiter takes a little loudness with it, so the result is measured and the gain corrected
/// until it lands within <see cref="Tolerance"/>. loudnorm itself would switch to its dynamic mode there, which
/// rides the gain over the whole file.</summary>
public static partial class Loudness
{
    /// <summary>A second output of the pass that writes the normalized audio: <paramref name="Filter"/> (after the
    /// normalization, at <see cref="OutputSampleRate"/>) and the output options ending in the file (<c>-c:a aac … out.m4a</c>).</summary>
    public sealed record SideEncode(string Filter, IReadOnlyList<string> OutputArgs);

    /// <summary>How close to the target the normalized speech must measure before it is accepted.</summary>
    public const double Tolerance = 0.3;

    /// <summary>Headroom kept under the ceiling for the AAC encoder, whose output overshoots its input's peaks by a few tenths of a dB.</summary>
    public const double CodecHeadroomDb = 1.0;

    /// <summary>Below this the file holds no programme (EBU R128's absolute gate is −70 LUFS): nothing to normalize.</summary>
    private const double SilenceLufs = -69.0;

    public const int OutputSampleRate = 48000;

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [GeneratedRegex(@"\bI:\s+(-?(?:\d+(?:\.\d+)?|inf))\s+LUFS")]
    private static partial Regex IntegratedLine();

    [GeneratedRegex(@"\bPeak:\s+(-?(?:\d+(?:\.\d+)?|inf))\s+dBFS")]
    private static partial Regex PeakLine();

    /// <summary>Measures <paramref name="file"/>'s first audio stream with <c>ebur128=peak=true</c>.</summary>
    public static async Task<LoudnessMeasurement> MeasureAsync(string ffmpeg, string file, CancellationToken ct)
    {
        // framelog=verbose keeps the ten-per-second progress lines below the info level, so stderr holds the summary.
        var result = await new ExternalTool(ffmpeg).RunAsync(
            ["-hide_banner", "-nostats", "-loglevel", "info", "-i", file, "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
            Timeout, ct);
        if (result.ExitCode != 0)
            throw StepFailure.Retryable($"ffmpeg could not measure the loudness of {Path.GetFileName(file)} (exit {result.ExitCode}): {Tail(result.StderrTail)}");
        return Parse(result.StderrTail) ?? throw StepFailure.Retryable(
            $"ffmpeg's ebur128 printed no loudness summary for {Path.GetFileName(file)}: {Tail(result.StderrTail)}");
    }

    /// <summary>The last summary in ebur128's output, or null when there is none.</summary>
    public static LoudnessMeasurement? Parse(string stderr)
    {
        var summary = stderr.LastIndexOf("Summary:", StringComparison.Ordinal);
        if (summary < 0) return null;
        var text = stderr[summary..];
        var i = IntegratedLine().Match(text);
        var p = PeakLine().Match(text);
        if (!i.Success || !p.Success) return null;
        return new LoudnessMeasurement(Number(i.Groups[1].Value), Number(p.Groups[1].Value));
    }

    private static double Number(string s) => s switch
    {
        "-inf" => double.NegativeInfinity,
        "inf" => double.PositiveInfinity,
        _ => double.Parse(s, CultureInfo.InvariantCulture),
    };

    /// <summary>Writes <paramref name="output"/> (16-bit PCM WAV, 48 kHz, the input's channels): the input at
    /// <paramref name="targetLufs"/> integrated loudness with true peaks under <paramref name="ceilingDbtp"/> less
    /// <see cref="CodecHeadroomDb"/>. Silence is copied unchanged. Returns the input's and the output's measurements.</summary>
    /// <remarks>Each pass is one ffmpeg run that writes the result, measures it and, given <paramref name="alsoEncode"/>,
    /// encodes it too: most of a short run's cost is ffmpeg starting, and the first pass is nearly always the last.</remarks>
    public static async Task<(LoudnessMeasurement Before, LoudnessMeasurement After)> NormalizeAsync(
        string ffmpeg, string input, string output, double targetLufs, double ceilingDbtp, CancellationToken ct, SideEncode? alsoEncode = null)
    {
        var before = await MeasureAsync(ffmpeg, input, ct);
        if (double.IsNegativeInfinity(before.Integrated) || before.Integrated < SilenceLufs)
            return (before, await RenderAsync(ffmpeg, input, output, 0, null, alsoEncode, ct));

        var limit = ceilingDbtp - CodecHeadroomDb;
        var gain = targetLufs - before.Integrated;
        LoudnessMeasurement after = before;
        // Linear gain alone is exact when the peaks allow it; with the limiter each pass moves the loudness by
        // about the correction (the limiter touches only peaks), so two or three passes settle it.
        for (var pass = 0; pass < 4; pass++)
        {
            var needsLimiter = before.TruePeak + gain > limit;
            after = await RenderAsync(ffmpeg, input, output, gain, needsLimiter ? limit : null, alsoEncode, ct);
            var error = targetLufs - after.Integrated;
            if (Math.Abs(error) <= Tolerance && after.TruePeak <= ceilingDbtp - CodecHeadroomDb / 2) return (before, after);
            gain += error;
        }
        throw StepFailure.Retryable(
            $"the speech could not be brought to {targetLufs.ToString("0.0", CultureInfo.InvariantCulture)} LUFS under " +
            $"{ceilingDbtp.ToString("0.0", CultureInfo.InvariantCulture)} dBTP: it measured {before} and, normalized, {after}");
    }

    /// <summary>The filter chain of the second pass: gain, then (when the peaks need it) a limiter run at 192 kHz.</summary>
    internal static string Filter(double gainDb, double? limitDbtp)
    {
        var inv = CultureInfo.InvariantCulture;
        var gain = $"volume={gainDb.ToString("0.###", inv)}dB";
        if (limitDbtp is not { } limit) return $"{gain},aresample={OutputSampleRate}";
        var linear = Math.Pow(10, limit / 20);
        // alimiter's own level normalisation (level) would undo the gain; attack 1 ms catches consonants, 60 ms
        // release keeps the limiting from pumping between syllables.
        return $"aresample=192000,{gain},alimiter=limit={linear.ToString("0.#####", inv)}:level=false:attack=1:release=60,aresample={OutputSampleRate}";
    }

    /// <summary>Writes the normalized WAV, and the side encoding if asked for, and measures the WAV's audio as written.</summary>
    private static async Task<LoudnessMeasurement> RenderAsync(string ffmpeg, string input, string output, double gainDb, double? limitDbtp,
        SideEncode? alsoEncode, CancellationToken ct)
    {
        var branches = alsoEncode is null ? 2 : 3;
        var graph = $"[0:a:0]{Filter(gainDb, limitDbtp)},asplit={branches}[out][measure]{(alsoEncode is null ? "" : "[side]")};" +
                    "[measure]ebur128=peak=true:framelog=verbose,anullsink" +
                    (alsoEncode is null ? "" : $";[side]{alsoEncode.Filter}[encode]");
        List<string> args = ["-hide_banner", "-nostats", "-loglevel", "info", "-y", "-i", input, "-filter_complex", graph,
            "-map", "[out]", "-c:a", "pcm_s16le", "-f", "wav", output];
        if (alsoEncode is not null) args.AddRange(["-map", "[encode]", .. alsoEncode.OutputArgs]);
        var result = await new ExternalTool(ffmpeg).RunAsync(args, Timeout, ct);
        if (result.ExitCode != 0)
            throw StepFailure.Retryable($"ffmpeg could not normalize the loudness of {Path.GetFileName(input)} (exit {result.ExitCode}): {Tail(result.StderrTail)}");
        return Parse(result.StderrTail) ?? throw StepFailure.Retryable(
            $"ffmpeg's ebur128 printed no loudness summary for the normalized {Path.GetFileName(input)}: {Tail(result.StderrTail)}");
    }

    private static string Tail(string s)
    {
        s = s.Trim();
        return s.Length == 0 ? "(no output on stderr)" : s.Length > 1500 ? s[^1500..] : s;
    }
}
