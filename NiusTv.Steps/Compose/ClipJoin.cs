using System.Globalization;
using System.Text;
using NiusTv.Steps.Tools;
using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>Joins a brand's intro and outro clips around the composed story. The clips come in any size, rate and sound:
/// each is scaled to fit the output (never stretched), padded with the brand's backdrop colour, brought to the output's
/// frame rate, and given its own audio or silence of its exact length. The programme's audio (clip sound, story audio,
/// clip sound) is assembled and loudness-normalized as one, so the whole published video measures the target, not just
/// the story part; then the pictures are joined and encoded once more with the step's own encoder settings. Without clips,
/// <see cref="MuxAsync"/> only puts the story's pictures and sound together.</summary>
internal static class ClipJoin
{
    public sealed record Clip(string Path, double Seconds, bool HasAudio);

    private const string AudioFormat = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo";

    public static async Task<Clip> ProbeAsync(string path, CancellationToken ct)
    {
        MediaProbe probe;
        try { probe = await MediaProbe.ProbeAsync(path, ct); }
        catch (InvalidDataException ex) { throw StepFailure.Permanent($"the brand clip {System.IO.Path.GetFileName(path)} cannot be read: {ex.Message}; run the init step again", ex); }
        var seconds = probe.Video?.Duration ?? probe.FormatDuration;
        if (probe.Video is null || seconds <= 0)
            throw StepFailure.Permanent($"the brand clip {System.IO.Path.GetFileName(path)} has no video to join; run the init step again");
        return new Clip(path, seconds, probe.Audio is not null);
    }

    /// <param name="storyAudio">The story's audio as muxed into <paramref name="storyVideo"/>, before AAC: joined from here,
    /// not from the encoded video, so it is not encoded twice.</param>
    /// <param name="storyAudioDelay">Where that audio starts in the story's time (the title card, for speech alone).</param>
    public static async Task JoinAsync(ComposeOptions options, Clip? intro, Clip? outro, string storyVideo, double storySeconds,
        string storyAudio, double storyAudioDelay, int width, int height, int fps, SKColor pad, string output, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        string S(double seconds) => seconds.ToString("0.######", inv);
        var work = System.IO.Path.GetDirectoryName(output)!;
        var programme = System.IO.Path.Combine(work, $"joined.{Guid.NewGuid():N}.part.wav");
        var programmeLoud = System.IO.Path.Combine(work, $"joined-loud.{Guid.NewGuid():N}.part.wav");
        try
        {
            // 1. The programme's audio, every part exactly as long as its pictures.
            var inputs = new List<string>();
            var graph = new StringBuilder();
            var parts = 0;
            void ClipAudio(Clip c)
            {
                if (c.HasAudio)
                {
                    inputs.AddRange(["-i", c.Path]);
                    graph.Append($"[{inputs.Count / 2 - 1}:a:0]{AudioFormat},apad,atrim=duration={S(c.Seconds)}[a{parts++}];");
                }
                else graph.Append($"anullsrc=r=48000:cl=stereo,atrim=duration={S(c.Seconds)}[a{parts++}];");
            }
            if (intro is not null) ClipAudio(intro);
            inputs.AddRange(["-i", storyAudio]);
            var delay = (long)Math.Round(storyAudioDelay * Loudness.OutputSampleRate);
            graph.Append($"[{inputs.Count / 2 - 1}:a]{AudioFormat},adelay=delays={delay}S:all=1,apad,atrim=duration={S(storySeconds)}[a{parts++}];");
            if (outro is not null) ClipAudio(outro);
            graph.Append(string.Concat(Enumerable.Range(0, parts).Select(i => $"[a{i}]"))).Append($"concat=n={parts}:v=0:a=1[out]");
            await RunAsync(options, [.. inputs, "-filter_complex", graph.ToString(), "-map", "[out]", "-c:a", "pcm_f32le", "-f", "wav", programme],
                "join the intro and outro sound to the story's", ct);
            await Loudness.NormalizeAsync(options.Ffmpeg, programme, programmeLoud, options.LoudnessLufs, options.TruePeakCeilingDbtp, ct);

            // 2. The pictures, joined and encoded with the programme's audio.
            inputs.Clear();
            graph.Clear();
            parts = 0;
            var colour = $"0x{pad.Red:X2}{pad.Green:X2}{pad.Blue:X2}";
            void ClipVideo(Clip c)
            {
                inputs.AddRange(["-i", c.Path]);
                // tpad then trim: exactly the probed length, whether the stream ends a frame early or late.
                graph.Append($"[{inputs.Count / 2 - 1}:v:0]scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2,")
                    .Append($"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color={colour},setsar=1,fps={fps},format=yuv420p,")
                    .Append($"tpad=stop_mode=clone:stop_duration={S(c.Seconds)},trim=duration={S(c.Seconds)},setpts=PTS-STARTPTS[v{parts++}];");
            }
            if (intro is not null) ClipVideo(intro);
            inputs.AddRange(["-i", storyVideo]);
            graph.Append($"[{inputs.Count / 2 - 1}:v:0]setsar=1,format=yuv420p,setpts=PTS-STARTPTS[v{parts++}];");
            if (outro is not null) ClipVideo(outro);
            graph.Append(string.Concat(Enumerable.Range(0, parts).Select(i => $"[v{i}]"))).Append($"concat=n={parts}:v=1:a=0[v]");
            var audioInput = inputs.Count / 2;
            inputs.AddRange(["-i", programmeLoud]);
            var total = (intro?.Seconds ?? 0) + storySeconds + (outro?.Seconds ?? 0);
            await RunAsync(options, [.. inputs, "-filter_complex", graph.ToString(), "-map", "[v]", "-map", $"{audioInput}:a",
                .. options.VideoEncoderArgs(), "-r", fps.ToString(inv), .. options.AudioEncoderArgs(), "-t", S(total),
                "-movflags", "+faststart", "-f", "mp4", output], "join the intro and outro to the story", ct);
        }
        finally
        {
            File.Delete(programme);
            File.Delete(programmeLoud);
        }
    }

    /// <summary>The story's pictures and its encoded sound into one MP4, both copied as they are, with the index at the
    /// front (<c>faststart</c>) so a player can start before the whole file has arrived: the join for a brand without clips.</summary>
    public static Task MuxAsync(ComposeOptions options, string pictures, string sound, string output, CancellationToken ct) =>
        RunAsync(options, ["-i", pictures, "-i", sound, "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", output],
            "join the pictures and the sound", ct);

    private static async Task RunAsync(ComposeOptions options, IReadOnlyList<string> args, string what, CancellationToken ct)
    {
        var result = await new ExternalTool(options.Ffmpeg).RunAsync(
            ["-hide_banner", "-nostats", "-loglevel", "error", "-y", .. args], options.FinishTimeout, ct);
        if (result.ExitCode != 0)
        {
            var why = result.StderrTail.Trim();
            throw StepFailure.Retryable($"ffmpeg could not {what} (exit {result.ExitCode}): {(why.Length == 0 ? "(no output on stderr)" : why.Length > 1500 ? why[^1500..] : why)}");
        }
    }
}
