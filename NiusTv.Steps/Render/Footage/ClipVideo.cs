using System.Globalization;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Render.Footage;

/// <summary>What the index and the renderer need to know about a presenter clip: the size its frames are decoded
/// at (the clip's own, or scaled down to <see cref="ClipVideo.MaxHeight"/> rows), its frame rate and length.</summary>
public sealed record ClipVideoInfo(int Width, int Height, double Fps, double Duration, int SourceWidth, int SourceHeight);

/// <summary>A presenter clip read through ffmpeg: probed with ffprobe, decoded to packed RGB frames through a pipe
/// (no frame touches the disk). Only the video is read; the clip's audio is not needed.</summary>
public static class ClipVideo
{
    /// <summary>Frames taller than this are scaled down when decoded: the anchor slot is at most 813 rows and the
    /// face a fraction of it, so more would only cost memory (the renderer keeps a few seconds of base frames).</summary>
    public const int MaxHeight = 480;

    /// <exception cref="InvalidDataException">ffprobe cannot read the file, or it holds no video stream with a
    /// size and frame rate.</exception>
    public static ClipVideoInfo Probe(string path)
    {
        MediaProbe probe;
        try { probe = MediaProbe.ProbeAsync(path).GetAwaiter().GetResult(); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"ffprobe's answer about {path} is not readable: {e.Message}", e); }
        if (probe.Video is not { Width: > 0, Height: > 0, FrameRate: > 0 } video)
            throw new InvalidDataException($"{path} holds no video stream with a size and frame rate");
        int w = video.Width!.Value, h = video.Height!.Value;
        if (h > MaxHeight)
        {
            w = (int)Math.Round(w * (double)MaxHeight / h / 2) * 2;
            h = MaxHeight;
        }
        var duration = video.Duration ?? probe.FormatDuration;
        if (!(duration > 0)) duration = (video.Frames ?? 0) / video.FrameRate!.Value;
        return new ClipVideoInfo(w, h, video.FrameRate!.Value, duration, video.Width!.Value, video.Height!.Value);
    }

    /// <summary>Decodes the frames of [<paramref name="from"/>, <paramref name="to"/>) seconds in order and hands
    /// each to <paramref name="frame"/> (index from 0 at <paramref name="from"/>, packed RGB of the decoded size;
    /// the buffer is reused). <paramref name="frame"/> returns false to stop early. Returns the number of frames
    /// read.</summary>
    /// <exception cref="InvalidDataException">ffmpeg failed (an undecodable file), with its stderr.</exception>
    public static int Decode(string path, ClipVideoInfo info, double from, double? to, Func<int, byte[], bool> frame,
        CancellationToken ct = default)
    {
        var args = new List<string> { "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error" };
        if (from > 0) args.AddRange(["-ss", from.ToString("0.######", CultureInfo.InvariantCulture)]);
        args.AddRange(["-i", path]);
        if (to is { } end) args.AddRange(["-t", Math.Max(0, end - from).ToString("0.######", CultureInfo.InvariantCulture)]);
        args.AddRange(["-map", "0:v:0", "-an"]);
        if (info.Width != info.SourceWidth || info.Height != info.SourceHeight)
            args.AddRange(["-vf", $"scale={info.Width}:{info.Height}:flags=area"]);
        args.AddRange(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
        using var process = new ExternalTool("ffmpeg").Start(args, redirectStdin: false);
        using var registration = process.KillOnCancel(ct);
        var buffer = GC.AllocateUninitializedArray<byte>(info.Width * info.Height * 3);
        var stdout = process.Stdout;
        var count = 0;
        var stopped = false;
        while (true)
        {
            var read = 0;
            while (read < buffer.Length)
            {
                var n = stdout.Read(buffer, read, buffer.Length - read);
                if (n == 0) break;
                read += n;
            }
            if (read < buffer.Length) break;
            if (!frame(count++, buffer))
            {
                stopped = true;
                process.Kill();
                break;
            }
        }
        process.WaitForExit();
        ct.ThrowIfCancellationRequested();
        if (!stopped && process.ExitCode != 0)
            throw new InvalidDataException($"ffmpeg cannot decode {path} (exit {process.ExitCode}): {process.Tail(600, "")}");
        if (!stopped && count == 0) throw new InvalidDataException($"ffmpeg decoded no frame from {path}");
        return count;
    }
}
