using TorchSharp;
using static TorchSharp.torch;

namespace NiusTv.Steps.Render.Pix2PixHD;

/// <summary>The <c>pix2pixhd</c> renderer: each frame's face label map (<see cref="LabelMapPainter"/>), one-hot with
/// the checkpoint's label_nc channels, through the generator in batches; tanh output [-1, 1] → bytes the way
/// pix2pixHD's tensor2im does ((x + 1) / 2 · 255, clipped, truncated) → BGRA. A run must hold a GPU grant
/// (<see cref="NeedsGpu"/>): the caller acquires it and cancels <c>ct</c> when the grant is revoked.</summary>
/// <remarks>Size: with <c>render_hw</c> in the checkpoint's config, the label map is drawn at that height and the
/// slot's shape (the face at the scale it was trained at, the width padded to a multiple the generator takes), and each
/// frame is scaled uniformly to the slot. Without it the
/// generator runs at the slot size padded up to a multiple of <see cref="Pix2PixHDCheckpoint.SizeMultiple"/>: the
/// label map keeps the slot's framing, the padding (right and bottom) is background, and the output is cropped back to
/// the slot, so nothing is stretched.</remarks>
public sealed class Pix2PixHDRenderer : IRenderer
{
    private readonly Pix2PixHDCheckpoint _checkpoint;
    private readonly int _batchSize;

    /// <param name="checkpoint">loaded once per node and shared; this renderer does not dispose it.</param>
    /// <param name="batchSize">frames per generator call.</param>
    public Pix2PixHDRenderer(Pix2PixHDCheckpoint checkpoint, int batchSize = 4)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be at least 1, not {batchSize}");
        _checkpoint = checkpoint;
        _batchSize = batchSize;
    }

    public string Name => "pix2pixhd";

    public bool NeedsGpu => true;

    public int BatchSize => _batchSize;

    public bool LearnedPresenter(string presenter) => _checkpoint.TrainedFor?.Presenter == presenter;

    /// <summary>The size the generator runs at for a slot (see remarks).</summary>
    public (int Height, int Width) InputSize(int slotWidth, int slotHeight) => Layout(slotWidth, slotHeight).Input;

    /// <summary>Input: the generator's canvas. Face: the part of it framed like the slot (the rest, right of it, is
    /// background padding). With render_hw the canvas is render_hw's height and the slot's shape, so the face is drawn
    /// at the scale it was trained at and the frame is scaled uniformly to the slot, never stretched.</summary>
    private ((int Height, int Width) Input, (int Height, int Width) Face) Layout(int slotWidth, int slotHeight)
    {
        var m = _checkpoint.SizeMultiple;
        if (_checkpoint.RenderSize is { } trained)
        {
            var faceWidth = Math.Max(1, (int)Math.Round(slotWidth * (double)trained.Height / slotHeight));
            return ((trained.Height, (faceWidth + m - 1) / m * m), (trained.Height, faceWidth));
        }
        return (((slotHeight + m - 1) / m * m, (slotWidth + m - 1) / m * m), (slotHeight, slotWidth));
    }

    public async Task RenderAsync(RenderRequest request, Func<ReadOnlyMemory<byte>, ValueTask> frame, IProgress<double> progress,
        CancellationToken ct)
    {
        if (_checkpoint.TrainedFor is { } trainedFor && trainedFor.Presenter != request.Presenter.Name)
            throw StepFailure.Permanent($"the pix2pixhd checkpoint {_checkpoint.Source} was trained on presenter '{trainedFor.Presenter}', " +
                $"not '{request.Presenter.Name}': it can only draw the presenter it learned; choose presenter '{trainedFor.Presenter}' or another renderer");
        var ((gh, gw), (fh, fw)) = Layout(request.Width, request.Height);
        var resize = fh != request.Height || fw != request.Width;
        using var painter = new LabelMapPainter(new SlotFraming(request.Presenter, fw, fh), gw, gh);
        var frames = request.Track.Frames;
        var plane = gh * gw;
        var labels = new byte[_batchSize * plane];
        var frameBytes = request.Width * request.Height * 4;
        var output = new byte[_batchSize * frameBytes];
        using var channelOrder = tensor(new long[] { 2, 1, 0 }, device: _checkpoint.Device);

        for (var start = 0; start < frames.Length; start += _batchSize)
        {
            ct.ThrowIfCancellationRequested();
            var count = Math.Min(_batchSize, frames.Length - start);
            for (var i = 0; i < count; i++) painter.Paint(frames[start + i], labels.AsSpan(i * plane, plane));
            // The generator is the slow part; a thread-pool thread keeps the caller's context free meanwhile.
            await Task.Run(() => Generate(labels, count, gh, gw, fh, fw, request.Width, request.Height, resize, channelOrder, output), ct);
            for (var i = 0; i < count; i++)
            {
                await frame(output.AsMemory(i * frameBytes, frameBytes));
                progress.Report((start + i + 1) / (double)frames.Length);
            }
        }
    }

    private void Generate(byte[] labels, int count, int gh, int gw, int fh, int fw, int width, int height, bool resize, Tensor channelOrder, byte[] output)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var c = _checkpoint;
        var ids = tensor(labels.AsSpan(0, count * gh * gw).ToArray(), new long[] { count, 1, gh, gw }, ScalarType.Byte)
            .to(c.Device).to_type(ScalarType.Int64);
        // pix2pixHD_model.encode_input without instance maps: zeros().scatter_(1, label, 1.0).
        var oneHot = zeros(new long[] { count, c.LabelNc, gh, gw }, c.DType, c.Device)
            .scatter_(1, ids, ones(ids.shape, c.DType, c.Device));
        var y = c.Generator.call(oneHot).narrow(2, 0, fh).narrow(3, 0, fw);
        if (resize)
            y = nn.functional.interpolate(y.to_type(ScalarType.Float32), new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
        var rgb = ((y.to_type(ScalarType.Float32) + 1) * 127.5).clamp(0, 255).to_type(ScalarType.Byte);
        var bgra = cat([rgb.index_select(1, channelOrder), full(new long[] { count, 1, height, width }, 255, ScalarType.Byte, c.Device)], 1)
            .permute(0, 2, 3, 1).contiguous().cpu();
        bgra.bytes.CopyTo(output.AsSpan(0, count * width * height * 4));
    }
}
