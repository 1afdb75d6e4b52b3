using System.Runtime.InteropServices;

namespace NiusTv.Steps.Render.Sketch;

/// <summary>The <c>sketch</c> renderer: each frame's label map (<see cref="LabelMapPainter"/>) in flat colours, a
/// stylized anchor that needs no weights and no GPU. It shows exactly what the neural renderer would be fed, so it is
/// also the debug view of the landmarks.</summary>
public sealed class SketchRenderer : IRenderer
{
    /// <summary>RGB colour per <see cref="FaceRegions"/> id.</summary>
    public static readonly IReadOnlyList<(byte R, byte G, byte B)> Palette =
    [
        (38, 44, 56),    // background: dark studio blue-grey
        (226, 184, 152), // face
        (160, 110, 90),  // jaw line
        (74, 52, 40),    // brows
        (240, 240, 244), // eyes
        (204, 150, 122), // nose
        (188, 78, 88),   // lips
        (58, 14, 22),    // inner mouth
    ];

    private static readonly uint[] Bgra = Palette
        .Select(c => 0xFF000000u | ((uint)c.R << 16) | ((uint)c.G << 8) | c.B).ToArray();

    public string Name => "sketch";

    public bool NeedsGpu => false;

    public async Task RenderAsync(RenderRequest request, Func<ReadOnlyMemory<byte>, ValueTask> frame, IProgress<double> progress,
        CancellationToken ct)
    {
        using var painter = new LabelMapPainter(new SlotFraming(request.Presenter, request.Width, request.Height));
        var ids = new byte[request.Width * request.Height];
        var bgra = new byte[ids.Length * 4];
        var frames = request.Track.Frames;
        for (var i = 0; i < frames.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            painter.Paint(frames[i], ids);
            Colour(ids, bgra);
            await frame(bgra);
            progress.Report((i + 1) / (double)frames.Length);
        }
    }

    /// <summary>Label ids → opaque BGRA (little-endian: one uint per pixel is 0xAARRGGBB).</summary>
    public static void Colour(ReadOnlySpan<byte> ids, Span<byte> bgra)
    {
        var pixels = MemoryMarshal.Cast<byte, uint>(bgra);
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            pixels[i] = id < Bgra.Length ? Bgra[id] : 0xFFFF00FFu;
        }
    }
}
