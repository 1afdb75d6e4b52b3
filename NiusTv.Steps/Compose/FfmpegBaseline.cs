using System.Diagnostics;
using System.Globalization;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Compose;

/// <summary>How fast ffmpeg alone encodes raw frames of a given size with the compose step's x264
/// settings, so the benchmark can tell drawing cost from encoding cost. The frames are a textured picture
/// panning one pixel a frame (close to what compose feeds it: a slowly moving photo), cut from one buffer
/// in memory so producing them costs next to nothing.</summary>
public static class FfmpegBaseline
{
    /// <returns>Frames per second, wall clock, from starting ffmpeg to its exit.</returns>
    public static async Task<double> MeasureAsync(int width, int height, int fps, int frames, ComposeOptions options, CancellationToken ct)
    {
        if (width < 2 || height < 2 || width % 2 != 0 || height % 2 != 0) throw new ArgumentOutOfRangeException(nameof(width), "width and height must be even");
        if (fps < 1 || frames < 1) throw new ArgumentOutOfRangeException(nameof(frames), "fps and frames must be positive");

        const int travel = 64;
        var sourceWidth = width + travel;
        var source = MakeTexture(sourceWidth, height);
        var frame = new byte[width * height * 4];

        var dir = Path.Combine(Path.GetTempPath(), "nius-ffmpeg-baseline-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var inv = CultureInfo.InvariantCulture;
            var args = new List<string>
            {
                "-hide_banner", "-nostats", "-loglevel", "warning", "-y",
                "-f", "rawvideo", "-pix_fmt", "bgra", "-s", $"{width}x{height}", "-r", fps.ToString(inv), "-i", "-",
            };
            args.AddRange(options.VideoEncoderArgs());
            args.AddRange(["-an", "-movflags", "+faststart", "-f", "mp4", Path.Combine(dir, "baseline.mp4")]);

            var stopwatch = Stopwatch.StartNew();
            await using var process = new ExternalTool(options.Ffmpeg).Start(args, dir, stdout: ToolStdout.Discard);
            await using var kill = process.KillOnCancel(ct);
            var stdin = process.Stdin;
            try
            {
                for (var n = 0; n < frames; n++)
                {
                    ct.ThrowIfCancellationRequested();
                    var shift = n % (2 * travel) < travel ? n % travel : travel - n % travel;
                    for (var y = 0; y < height; y++)
                        Buffer.BlockCopy(source, (y * sourceWidth + shift) * 4, frame, y * width * 4, width * 4);
                    await stdin.WriteAsync(frame, ct);
                }
                stdin.Close();
            }
            catch (IOException e) when (!ct.IsCancellationRequested)
            {
                await process.WaitOrKillAsync(TimeSpan.FromSeconds(10));
                throw StepFailure.Retryable($"ffmpeg stopped while reading frames: {process.StderrTail}", e);
            }
            await process.WaitAsync(options.FinishTimeout, ct);
            stopwatch.Stop();
            if (process.ExitCode != 0) throw StepFailure.Retryable($"ffmpeg failed (exit {process.ExitCode}): {process.StderrTail}");
            return frames / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Smooth colour gradients with fine noise on top: smooth areas alone would make x264's job
    /// unrealistically easy, pure noise unrealistically hard.</summary>
    private static byte[] MakeTexture(int width, int height)
    {
        var pixels = new byte[width * height * 4];
        var random = new Random(20261124);
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var i = (y * width + x) * 4;
            var noise = random.Next(-12, 13);
            pixels[i] = Clamp(128 + 100 * Math.Sin(x * 0.013) + noise);
            pixels[i + 1] = Clamp(128 + 90 * Math.Cos(y * 0.021 + x * 0.004) + noise);
            pixels[i + 2] = Clamp(128 + 80 * Math.Sin((x + y) * 0.009) + noise);
            pixels[i + 3] = 255;
        }
        return pixels;
    }

    private static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);
}
