using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render.Footage;
using static TorchSharp.torch;

namespace NiusTv.Steps.Render.Pix2PixHD.Training;

/// <summary>One frame of the presenter's clip as pix2pixHD sees it: the face label map drawn from that frame's
/// landmarks and the frame itself, both framed as the anchor slot frames them, on a canvas
/// <see cref="TrainingPairs.Jitter"/> pixels wider on each side so a batch can be cropped at a random shift.</summary>
/// <param name="ClipFrame">Frame number in the presenter index (0 at the start of the clip's used range).</param>
public sealed record TrainingPair(int ClipFrame, byte[] Labels, byte[] Rgb);

/// <summary>The (label map, real frame) pairs of one presenter clip: frames without a face are skipped, every 10th
/// frame (index 0, 10, 20, …) is held out for evaluation, and the rest are trained on. Both images of a pair are placed
/// by the same <see cref="SlotFraming"/> and drawn with the same <see cref="LabelMapPainter"/> the renderer uses,
/// so the generator learns exactly the mapping it is asked for when it renders a story.</summary>
public sealed class TrainingPairs
{
    /// <summary>Every how many frames one is held out.</summary>
    public const int HoldOutEvery = 10;

    private TrainingPairs(int width, int height, int jitter, IReadOnlyList<TrainingPair> train, IReadOnlyList<TrainingPair> heldOut,
        int framesWithoutFace, int framesSkippedForMemory)
    {
        Width = width;
        Height = height;
        Jitter = jitter;
        Train = train;
        HeldOut = heldOut;
        FramesWithoutFace = framesWithoutFace;
        FramesSkippedForMemory = framesSkippedForMemory;
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>Most horizontal shift (px) of a training crop; the canvas is Width + 2·Jitter wide.</summary>
    public int Jitter { get; }
    public int CanvasWidth => Width + 2 * Jitter;
    public IReadOnlyList<TrainingPair> Train { get; }
    public IReadOnlyList<TrainingPair> HeldOut { get; }
    public int FramesWithoutFace { get; }
    /// <summary>Training frames left out (evenly spread) so the pairs fit the memory budget.</summary>
    public int FramesSkippedForMemory { get; }

    /// <summary>Decodes the presenter's clip once and builds its pairs at <paramref name="width"/>×<paramref name="height"/>.</summary>
    /// <param name="memoryBudgetBytes">Training pairs beyond this are thinned evenly (held-out frames are kept).</param>
    /// <exception cref="ArgumentException">the presenter is a photo, not a clip.</exception>
    /// <exception cref="InvalidDataException">the clip cannot be decoded, or no frame of it shows a face.</exception>
    public static TrainingPairs FromClip(PresenterReference presenter, int width, int height, long memoryBudgetBytes = 1L << 30,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken ct = default)
    {
        if (presenter.Clip is not { } clip)
            throw new ArgumentException($"presenter '{presenter.Name}' is made from a photo; pix2pixHD is trained on a presenter " +
                "made from a talking clip (nius presenter add NAME --clip FILE)");
        var index = clip.Analysis.Index;
        var jitter = JitterFor(width);
        var canvas = width + 2 * jitter;
        var pairBytes = (long)canvas * height * 4;
        var withFace = Enumerable.Range(0, index.Count).Where(i => index.Faces[i] is not null).ToArray();
        var heldOutFrames = withFace.Where(i => i % HoldOutEvery == 0).ToHashSet();
        var trainFrames = withFace.Where(i => i % HoldOutEvery != 0).ToArray();
        if (withFace.Length == 0)
            throw new InvalidDataException($"{clip.ClipPath}: no frame of the clip shows a face, so there is nothing to train on");
        var keepTrain = (int)Math.Clamp(memoryBudgetBytes / pairBytes - heldOutFrames.Count, 1, Math.Max(1, trainFrames.Length));
        var kept = new HashSet<int>(heldOutFrames);
        kept.UnionWith(EvenlySpread(trainFrames, keepTrain));

        var framing = new SlotFraming(presenter, canvas, height);
        using var painter = new LabelMapPainter(framing);
        var train = new List<TrainingPair>();
        var heldOut = new List<TrainingPair>();
        var to = index.From + index.Count / index.Fps;
        var points = new float[68][];
        for (var p = 0; p < 68; p++) points[p] = new float[2];
        ClipVideo.Decode(clip.ClipPath, clip.Info, index.From, to, (i, rgb) =>
        {
            ct.ThrowIfCancellationRequested();
            if (i >= index.Count) return false;
            if (kept.Contains(i))
            {
                var face = index.Faces[i]!;
                for (var p = 0; p < 68; p++) { points[p][0] = face[2 * p]; points[p][1] = face[2 * p + 1]; }
                var pair = new TrainingPair(i, painter.Paint(points), Frame(rgb, clip.Info.Width, clip.Info.Height, framing));
                (heldOutFrames.Contains(i) ? heldOut : train).Add(pair);
            }
            if (i % 25 == 0) progress?.Report((i + 1, index.Count));
            return true;
        }, ct);
        progress?.Report((index.Count, index.Count));
        if (train.Count == 0 || heldOut.Count == 0)
            throw new InvalidDataException($"{clip.ClipPath}: only {withFace.Length} frame(s) show a face; training needs at least " +
                $"{HoldOutEvery + 1} so that one is held out and the rest are trained on");
        return new TrainingPairs(width, height, jitter, train, heldOut, index.Count - withFace.Length,
            trainFrames.Length - train.Count);
    }

    /// <summary>Pairs made elsewhere (tests and the bench): label maps and frames already at the canvas size.</summary>
    public static TrainingPairs FromPairs(int width, int height, IReadOnlyList<TrainingPair> train, IReadOnlyList<TrainingPair> heldOut)
    {
        var jitter = JitterFor(width);
        var canvas = width + 2 * jitter;
        foreach (var p in train.Concat(heldOut))
            if (p.Labels.Length != canvas * height || p.Rgb.Length != canvas * height * 3)
                throw new ArgumentException($"pair of frame {p.ClipFrame} is not {canvas}x{height}");
        return new TrainingPairs(width, height, jitter, train, heldOut, 0, 0);
    }

    /// <summary>At most <paramref name="count"/> items spread evenly over <paramref name="items"/>, first included.</summary>
    public static IReadOnlyList<T> EvenlySpread<T>(IReadOnlyList<T> items, int count)
    {
        var n = Math.Min(count, items.Count);
        return Enumerable.Range(0, n).Select(k => items[(int)((long)k * items.Count / n)]).ToArray();
    }

    /// <summary>A sixteenth of the width each way: enough that the generator does not learn one fixed position, small
    /// next to the head so the face never leaves the frame.</summary>
    public static int JitterFor(int width) => Math.Max(1, width / 16);

    /// <summary>One-hot label maps [B, labelNc, H, W] and real frames [B, 3, H, W] in [-1, 1] (pix2pixHD's
    /// normalisation), each cropped at its shift (0 … 2·Jitter; Jitter is the centred crop).</summary>
    public (Tensor Labels, Tensor Real) Batch(IReadOnlyList<TrainingPair> pairs, IReadOnlyList<int> shifts, int labelNc, Device device)
    {
        var b = pairs.Count;
        int w = Width, h = Height, cw = CanvasWidth;
        var ids = new byte[b * h * w];
        var rgb = new byte[b * h * w * 3];
        for (var n = 0; n < b; n++)
        {
            var x0 = shifts[n];
            for (var y = 0; y < h; y++)
            {
                Buffer.BlockCopy(pairs[n].Labels, y * cw + x0, ids, (n * h + y) * w, w);
                Buffer.BlockCopy(pairs[n].Rgb, (y * cw + x0) * 3, rgb, (n * h + y) * w * 3, w * 3);
            }
        }
        using var scope = NewDisposeScope();
        var idTensor = tensor(ids, new long[] { b, 1, h, w }, ScalarType.Byte).to(device).to_type(ScalarType.Int64);
        var oneHot = zeros(new long[] { b, labelNc, h, w }, ScalarType.Float32, device)
            .scatter_(1, idTensor, ones(idTensor.shape, ScalarType.Float32, device));
        var real = tensor(rgb, new long[] { b, h, w, 3 }, ScalarType.Byte).to(device).permute(0, 3, 1, 2)
            .to_type(ScalarType.Float32).div(127.5).sub(1).contiguous();
        return (oneHot.MoveToOuterDisposeScope(), real.MoveToOuterDisposeScope());
    }

    /// <summary>The clip frame placed into the canvas as <paramref name="framing"/> places it, sampled bilinearly;
    /// canvas pixels outside the frame take its nearest edge.</summary>
    internal static byte[] Frame(byte[] rgb, int frameWidth, int frameHeight, SlotFraming framing)
    {
        int cw = framing.Width, ch = framing.Height;
        var output = new byte[cw * ch * 3];
        var inverse = 1f / framing.Scale;
        for (var y = 0; y < ch; y++)
        {
            var sy = Math.Clamp((y + 0.5f - framing.OffsetY) * inverse - 0.5f, 0, frameHeight - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, frameHeight - 1);
            var fy = sy - y0;
            for (var x = 0; x < cw; x++)
            {
                var sx = Math.Clamp((x + 0.5f - framing.OffsetX) * inverse - 0.5f, 0, frameWidth - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, frameWidth - 1);
                var fx = sx - x0;
                for (var c = 0; c < 3; c++)
                {
                    float a = rgb[(y0 * frameWidth + x0) * 3 + c], bb = rgb[(y0 * frameWidth + x1) * 3 + c];
                    float d = rgb[(y1 * frameWidth + x0) * 3 + c], e = rgb[(y1 * frameWidth + x1) * 3 + c];
                    var top = a + (bb - a) * fx;
                    var bottom = d + (e - d) * fx;
                    output[(y * cw + x) * 3 + c] = (byte)Math.Clamp(MathF.Round(top + (bottom - top) * fy), 0, 255);
                }
            }
        }
        return output;
    }
}
