using System.Globalization;
using System.Runtime.InteropServices;
using NiusTv.Steps.Tools;
using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>The render step's <c>anchor.mkv</c>, decoded by a second ffmpeg process into raw BGRA on its
/// stdout and read frame by frame as compose's clock advances. Frame i belongs at i / fps seconds after the
/// speech starts. Before the first frame (the title card and its fade) the first frame is shown, and after the
/// last one (the video's closing moments) the last: the presenter holds still rather than the slot popping
/// empty.</summary>
public sealed class AnchorVideo : IAsyncDisposable
{
    private readonly ToolProcess _process;
    private readonly Stream _stdout;
    private readonly byte[] _pixels;
    private readonly SKImageInfo _info;
    private readonly double _fps;
    private int _index = -1;
    private bool _ended;
    private SKImage? _image;

    public int Width => _info.Width;
    public int Height => _info.Height;

    private AnchorVideo(ToolProcess process, int width, int height, double fps)
    {
        _process = process;
        _stdout = process.Stdout;
        _fps = fps;
        // The render step's frames have no transparency (bgr0): opaque, they are copied into the slot, not blended.
        _info = new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        _pixels = GC.AllocateUninitializedArray<byte>(width * height * 4, pinned: true);
    }

    public static async Task<AnchorVideo> OpenAsync(string path, string ffmpeg, CancellationToken ct)
    {
        MediaProbe probe;
        try { probe = await MediaProbe.ProbeAsync(path, ct); }
        catch (InvalidDataException e)
        {
            throw StepFailure.Permanent($"{Artifacts.Anchor} cannot be read ({e.Message}); run the render step again", e);
        }
        if (probe.Video is not { Width: > 0, Height: > 0, FrameRate: > 0 } video)
            throw StepFailure.Permanent($"{Artifacts.Anchor} holds no video stream with a size and frame rate; run the render step again");
        // One decoding thread keeps up with compose several times over; frame threads only add their overhead.
        string[] args = ["-hide_banner", "-nostats", "-loglevel", "error", "-threads", "1", "-i", path, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "bgra", "-"];
        var process = new ExternalTool(ffmpeg).Start(args, Path.GetDirectoryName(path), redirectStdin: false);
        // The decoder may run a frame or two ahead of compose instead of waiting for each read.
        process.WidenPipes(2 * video.Width!.Value * video.Height!.Value * 4);
        return new AnchorVideo(process, video.Width!.Value, video.Height!.Value, video.FrameRate!.Value);
    }

    /// <summary>The anchor frame for video time <paramref name="t"/> (seconds) when the speech starts at
    /// <paramref name="speechStart"/>. Only moves forward: compose asks in time order. Blocks while the decoder
    /// catches up: compose's drawing thread calls it, and a thread waiting in a read wakes as soon as the frame is
    /// there, where an awaited read would wait again for a pool thread on a machine busy encoding.</summary>
    public SKImage FrameAt(double t, double speechStart)
    {
        var wanted = Math.Max(0, (int)Math.Floor((t - speechStart) * _fps + 1e-6));
        var changed = false;
        while (_index < wanted && !_ended)
        {
            try
            {
                _stdout.ReadExactly(_pixels);
                _index++;
                changed = true;
            }
            catch (EndOfStreamException)
            {
                _ended = true;
                if (_index < 0)
                    throw StepFailure.Permanent($"{Artifacts.Anchor} could not be decoded: {Tail()}");
            }
        }
        if (changed || _image is null)
        {
            // A new wrapper per frame (no copy): Skia must not take the rewritten buffer for the old image.
            _image?.Dispose();
            _image = SKImage.FromPixels(_info, Marshal.UnsafeAddrOfPinnedArrayElement(_pixels, 0), _info.RowBytes)
                ?? throw new InvalidOperationException("Skia cannot wrap the anchor frame");
        }
        return _image;
    }

    private string Tail() => _process.Tail(2000, "ffmpeg gave no frames and no error");

    public async ValueTask DisposeAsync()
    {
        _image?.Dispose();
        // Compose may stop reading before the end (the anchor can outlast the video by a frame): stop the decoder.
        await _process.DisposeAsync();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"anchor {Width}x{Height}@{_fps}, frame {_index}");
}
