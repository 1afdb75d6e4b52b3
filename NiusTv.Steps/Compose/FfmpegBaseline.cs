using System.Diagnostics;
using System.Globalization;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Compose;

/// <summary>The raw frames ffmpeg alone is given: BGRA, as a drawing program makes them and ffmpeg must convert, or
/// the 4:2:0 YUV that x264 encodes, as compose now hands it (<see cref="Yuv420"/>).</summary>
public enum BaselineInput { Bgra, I420 }

/// <summary>How fast ffmpeg alone encodes raw frames of a given size with the compose step's x264
/// settings, so the benchmark can tell drawing cost from encoding cost. The frames are a textured picture
/// panning one pixel a frame (close to what compose feeds it: a slowly moving photo), cut from one buffer
/// in memory so producing them costs next to nothing.</summary>
public static class FfmpegBaseline
{
    /// <returns>Frames per second, wall clock, from starting ffmpeg to its exit.</returns>
    public static async Task<double> MeasureAsync(int width, int height, int fps, int frames, ComposeOptions options, CancellationToken ct,
        BaselineInput input = BaselineInput.Bgra)
    {
        if (fps < 1 || frames < 1) throw new ArgumentOutOfRangeException(nameof(frames), "fps and frames must be positive");
        var (frame, cut) = Frames(input, width, height);

        var dir = Path.Combine(Path.GetTempPath(), "nius-ffmpeg-baseline-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var inv = CultureInfo.InvariantCulture;
            var args = new List<string>
            {
                "-hide_banner", "-nostats", "-loglevel", "warning", "-y",
                "-f", "rawvideo", "-pix_fmt", input == BaselineInput.Bgra ? "bgra" : "yuv420p", "-s", $"{width}x{height}", "-r", fps.ToString(inv), "-i", "-",
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
                    cut(n);
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

    /// <summary>How far the picture pans, in pixels, before it turns back.</summary>
    private const int Travel = 64;

    /// <summary>The frames the baseline writes, in one reused buffer: <c>Cut(n)</c> fills <c>Frame</c> with frame n.</summary>
    public static (byte[] Frame, Action<int> Cut) Frames(BaselineInput input, int width, int height)
    {
        if (width < 2 || height < 2 || width % 2 != 0 || height % 2 != 0) throw new ArgumentOutOfRangeException(nameof(width), "width and height must be even");
        var sourceWidth = width + Travel;
        var source = MakeTexture(sourceWidth, height);
        var (frame, cut) = input == BaselineInput.Bgra ? BgraFrames(source, sourceWidth, width, height) : I420Frames(source, sourceWidth, width, height);
        return (frame, n => cut(n % (2 * Travel) < Travel ? n % Travel : Travel - n % Travel));
    }

    /// <summary>A frame buffer and how to fill it with the window <c>shift</c> pixels into the source.</summary>
    private static (byte[] Frame, Action<int> Cut) BgraFrames(byte[] source, int sourceWidth, int width, int height)
    {
        var frame = new byte[width * height * 4];
        return (frame, shift =>
        {
            for (var y = 0; y < height; y++)
                Buffer.BlockCopy(source, (y * sourceWidth + shift) * 4, frame, y * width * 4, width * 4);
        });
    }

    /// <summary>The same frames as <see cref="BgraFrames"/>, in 4:2:0, still cut by plain row copies: a chroma
    /// sample covers two columns, so the source is converted twice, as it is and one pixel further on, and an odd
    /// shift cuts the second at shift − 1. Every frame equals the conversion of its BGRA frame.</summary>
    private static (byte[] Frame, Action<int> Cut) I420Frames(byte[] source, int sourceWidth, int width, int height)
    {
        var even = new byte[Yuv420.FrameBytes(sourceWidth, height)];
        Yuv420.FromBgra(source, sourceWidth, height, even);
        var oddWidth = sourceWidth - 2;
        var (nudged, cutNudged) = BgraFrames(source, sourceWidth, oddWidth, height);
        cutNudged(1);
        var odd = new byte[Yuv420.FrameBytes(oddWidth, height)];
        Yuv420.FromBgra(nudged, oddWidth, height, odd);

        var frame = new byte[Yuv420.FrameBytes(width, height)];
        return (frame, shift =>
        {
            var (planes, planesWidth, at) = shift % 2 == 0 ? (even, sourceWidth, shift) : (odd, oddWidth, shift - 1);
            for (var y = 0; y < height; y++)
                Buffer.BlockCopy(planes, y * planesWidth + at, frame, y * width, width);
            var (chromaFrom, chromaTo) = (planesWidth * height, width * height);
            var (fromPlane, toPlane) = (planesWidth / 2 * (height / 2), width / 2 * (height / 2));
            for (var plane = 0; plane < 2; plane++)
            for (var y = 0; y < height / 2; y++)
                Buffer.BlockCopy(planes, chromaFrom + plane * fromPlane + y * (planesWidth / 2) + at / 2,
                    frame, chromaTo + plane * toPlane + y * (width / 2), width / 2);
        });
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
