namespace NiusTv.Steps.Render;

/// <summary>Runs a renderer the way a step must: a renderer that <see cref="IRenderer.NeedsGpu"/> holds a GPU grant
/// for its whole run, and stops when the grant is taken back.</summary>
public static class AdmittedRender
{
    /// <exception cref="StepFailure">transient, when the grant's lease ran out before the last frame (the admission
    /// actor already gave the GPU to the next in line; a retry queues again).</exception>
    public static async Task RenderAdmittedAsync(this IRenderer renderer, IGpuAdmission admission, RenderRequest request,
        Func<ReadOnlyMemory<byte>, ValueTask> frame, IProgress<double> progress, CancellationToken ct)
    {
        if (!renderer.NeedsGpu)
        {
            await renderer.RenderAsync(request, frame, progress, ct);
            return;
        }
        await using var grant = await admission.AcquireAsync(request.StoryId, request.Priority, ct);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, grant.Revoked);
        try
        {
            await renderer.RenderAsync(request, frame, progress, linked.Token);
        }
        catch (OperationCanceledException e) when (grant.Revoked.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw StepFailure.Retryable($"the {renderer.Name} render of {request.StoryId} overran its lease on {grant.Slot} " +
                "and the GPU was taken back (Gpu:LeaseSeconds); it will queue again", e);
        }
    }
}
