using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Stories;

namespace NiusTv.Steps.Render;

/// <summary>What a renderer needs for one story: the presenter's reference face, the per-frame landmarks, and
/// the size of the anchor slot it renders into.</summary>
public sealed record RenderRequest(string StoryId, StoryPriority Priority, PresenterReference Presenter,
    LandmarkTrack Track, int Width, int Height);

/// <summary>Landmarks → anchor frames (<c>warp</c>: the presenter's photo warped; <c>sketch</c>: the label map;
/// <c>pix2pixhd</c>: the neural generator).</summary>
public interface IRenderer
{
    string Name { get; }

    /// <summary>Whether a run must hold a grant from <see cref="IGpuAdmission"/> for its whole duration (the
    /// neural generator takes a whole GPU; the warp and sketch renderers do not).</summary>
    bool NeedsGpu { get; }

    /// <summary>Renders every frame of <see cref="RenderRequest.Track"/> in order and hands each to
    /// <paramref name="frame"/> as opaque BGRA (4 bytes per pixel, Width×Height, rows top to bottom). The buffer
    /// is only valid during the call. Frames are streamed: nothing per frame is written to disk.</summary>
    Task RenderAsync(RenderRequest request, Func<ReadOnlyMemory<byte>, ValueTask> frame, IProgress<double> progress,
        CancellationToken ct);

    /// <summary>Whether this renderer learned this clip presenter's own look (a pix2pixHD checkpoint trained on its
    /// footage), so it draws that presenter instead of the footage renderer.</summary>
    bool LearnedPresenter(string presenter) => false;
}

/// <summary>Admission to the node's GPU (or CPU slot group) for a heavy render. Steps see this interface; the
/// actors' <c>GpuAdmission</c> stands behind it.</summary>
public interface IGpuAdmission
{
    /// <summary>Waits for a grant. Dispose the grant to release it.</summary>
    Task<IGpuGrant> AcquireAsync(string storyId, StoryPriority priority, CancellationToken ct);
}

public interface IGpuGrant : IAsyncDisposable
{
    string Slot { get; }

    /// <summary>Cancelled when the lease is taken back (overrun): the holder must stop using the GPU.</summary>
    CancellationToken Revoked { get; }
}
