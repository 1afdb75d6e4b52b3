using System.Globalization;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Render;

/// <summary>How the anchor segment is encoded: lossless H.264 in RGB (x264's RGB build, <c>-qp 0</c>,
/// ultrafast). Measured on this 2-core machine at the 610×813 slot of a 2048×1024 story: decoding it back to BGRA,
/// which compose does for every frame, takes 0.8 s of CPU per 300 frames against 1.4 s for lossless 4:4:4 YUV
/// (no colour-matrix conversion either way round), for a little more encoding time in the render step; it is
/// exact, so compose's encode is the only lossy one; and it takes the odd slot sizes the layout gives (813 rows),
/// which 4:2:0 refuses.</summary>
public sealed record AnchorEncoding
{
    public string Ffmpeg { get; init; } = "ffmpeg";
    public string Codec { get; init; } = "libx264rgb";
    public string Preset { get; init; } = "ultrafast";

    /// <summary>x264 quantizer; 0 is lossless.</summary>
    public int Qp { get; init; } = 0;

    public string PixelFormat { get; init; } = "bgr0";

    /// <summary>How long ffmpeg may take to finish after the last frame before it counts as hung.</summary>
    public TimeSpan FinishTimeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>One ffmpeg process turning raw BGRA frames on its stdin into a Matroska H.264 file. Frames are
/// copied into one of two pinned buffers and written while the caller draws the next one.</summary>
public sealed class AnchorEncoder : IAsyncDisposable
{
    private readonly ToolProcess _process;
    private readonly Stream _stdin;
    private readonly byte[][] _buffers;
    private readonly int _frameBytes;
    private readonly string _output;
    private readonly AnchorEncoding _encoding;
    private Task _pending = Task.CompletedTask;
    private int _frames;

    public int Frames => _frames;

    public AnchorEncoder(string output, int width, int height, int fps, AnchorEncoding encoding)
    {
        if (width < 1 || height < 1 || fps < 1) throw new ArgumentOutOfRangeException(nameof(width), $"cannot encode {width}x{height}@{fps}");
        _output = output;
        _encoding = encoding;
        _frameBytes = width * height * 4;
        var inv = CultureInfo.InvariantCulture;
        string[] args =
        [
            "-hide_banner", "-nostats", "-loglevel", "warning", "-y",
            "-f", "rawvideo", "-pix_fmt", "bgra", "-s", $"{width}x{height}", "-r", fps.ToString(inv), "-i", "-",
            "-c:v", encoding.Codec, "-preset", encoding.Preset, "-qp", encoding.Qp.ToString(inv), "-pix_fmt", encoding.PixelFormat,
            "-f", "matroska", output,
        ];
        _process = new ExternalTool(encoding.Ffmpeg).Start(args, Path.GetDirectoryName(output), stdout: ToolStdout.Discard);
        _stdin = _process.Stdin;
        _buffers = [GC.AllocateUninitializedArray<byte>(_frameBytes, pinned: true), GC.AllocateUninitializedArray<byte>(_frameBytes, pinned: true)];
    }

    /// <summary>Queues one frame; returns once the previous one is in the pipe, so the caller may reuse its buffer.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        if (frame.Length != _frameBytes) throw new ArgumentException($"a frame holds {frame.Length} bytes, {_frameBytes} expected");
        var buffer = _buffers[_frames & 1];
        try
        {
            await _pending;
            frame.CopyTo(buffer);
            _pending = _stdin.WriteAsync(buffer, 0, _frameBytes, ct);
        }
        catch (IOException e) when (!ct.IsCancellationRequested)
        {
            throw await Stopped(e);
        }
        _frames++;
    }

    /// <summary>Closes the input and waits for ffmpeg; throws a retryable failure with its stderr if it failed.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        try
        {
            await _pending;
            _stdin.Close();
        }
        catch (IOException e) when (!ct.IsCancellationRequested)
        {
            throw await Stopped(e);
        }
        await _process.WaitAsync(_encoding.FinishTimeout, ct);
        if (_process.ExitCode != 0)
            throw StepFailure.Retryable($"ffmpeg failed to encode the anchor (exit {_process.ExitCode}): {Tail()}");
        if (!File.Exists(_output) || new FileInfo(_output).Length == 0)
            throw StepFailure.Retryable($"ffmpeg exited without writing the anchor segment: {Tail()}");
    }

    private async Task<StepFailure> Stopped(Exception e)
    {
        await _process.WaitOrKillAsync(TimeSpan.FromSeconds(10));
        return StepFailure.Retryable($"ffmpeg stopped while reading anchor frames (exit {_process.ExitCodeText}): {Tail()}", e);
    }

    private string Tail() => _process.Tail(2000, "(no output on stderr)");

    /// <summary>Kills ffmpeg if it was not completed (cancellation, a renderer failure).</summary>
    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
