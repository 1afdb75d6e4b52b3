using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Models;
using NiusTv.Steps.Render.Footage;
using NiusTv.Steps.Render.Pix2PixHD;
using NiusTv.Steps.Render.Pix2PixHD.Training;
using NiusTv.Steps.Render.Sketch;
using NiusTv.Steps.Render.Warp;

namespace NiusTv.Steps.Render;

public sealed record RenderStepOptions
{
    /// <summary>Which renderer draws the anchor (Render:Renderer): warp (the presenter's photo warped, CPU).</summary>
    public string Renderer { get; init; } = "warp";

    /// <summary>pix2pixHD checkpoint (Render:Pix2PixHD:Checkpoint): a folder with state_dict.pt and config.json, or the
    /// weights file. Null: no neural renderer on this node.</summary>
    public string? Pix2PixHDCheckpoint { get; init; }

    /// <summary>cpu, cuda or cuda:N (Render:Pix2PixHD:Device).</summary>
    public string Pix2PixHDDevice { get; init; } = "cpu";

    /// <summary>Frames per generator call (Render:Pix2PixHD:BatchSize).</summary>
    public int Pix2PixHDBatchSize { get; init; } = 4;
}

/// <summary>The renderers a node has, by name.</summary>
public sealed record NodeRenderers(IReadOnlyDictionary<string, IRenderer> ByName);

public static class RenderRegistration
{
    private static readonly string[] Always = ["warp", "sketch", "footage"];
    private const string Neural = "pix2pixhd";

    /// <summary>The <c>render</c> step and the node's renderers (each also an <see cref="IRenderer"/> service). It draws
    /// the presenters of the <see cref="IPresenterLibrary"/> (landmarks step) and runs a GPU renderer under the node's
    /// <see cref="IGpuAdmission"/>.</summary>
    public static IServiceCollection AddRenderStep(this IServiceCollection services, RenderStepOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(sp => new NodeRenderers(Renderers(options, sp.GetRequiredService<ModelRegistry>(), sp.GetRequiredService<PresenterLibrary>)));
        foreach (var name in options.Pix2PixHDCheckpoint is null ? Always : [.. Always, Neural])
            services.AddSingleton<IRenderer>(sp => sp.GetRequiredService<NodeRenderers>().ByName[name]);
        return services.AddStoryStep(RenderStep.Definition, sp =>
        {
            var renderers = sp.GetRequiredService<NodeRenderers>().ByName;
            return new RenderStep(Renderer(options, renderers), sp.GetRequiredService<IPresenterLibrary>(), sp.GetRequiredService<IGpuAdmission>(),
                clipRenderer: renderers["footage"]);
        });
    }

    /// <summary>The renderers this node can run, by name: <c>warp</c>, <c>sketch</c> and <c>footage</c> always;
    /// <c>pix2pixhd</c> when a checkpoint is configured. The checkpoint is loaded here, once per node, so a missing or
    /// mismatched one is an error at start-up naming the setting, not a failure in the middle of a story.</summary>
    /// <param name="presenters">The node's presenters, asked for only when the checkpoint was trained on one.</param>
    public static IReadOnlyDictionary<string, IRenderer> Renderers(RenderStepOptions options, ModelRegistry models, Func<PresenterLibrary>? presenters = null)
    {
        var renderers = new Dictionary<string, IRenderer>(StringComparer.Ordinal);
        var warp = new WarpRenderer();
        renderers[warp.Name] = warp;
        var sketch = new SketchRenderer();
        renderers[sketch.Name] = sketch;
        var footage = new FootageRenderer();
        renderers[footage.Name] = footage;
        if (options.Pix2PixHDCheckpoint is { } path)
        {
            Pix2PixHDCheckpoint checkpoint;
            try { checkpoint = Pix2PixHDCheckpoint.Load(path, options.Pix2PixHDDevice); }
            catch (CheckpointException e) { throw new SettingsException("Render:Pix2PixHD:Checkpoint", e.Message); }
            if (checkpoint.TrainedFor is { } trainedFor)
            {
                try
                {
                    CheckTrainedPresenter(checkpoint, trainedFor, presenters?.Invoke()
                        ?? throw new InvalidOperationException($"{checkpoint.Source} was trained on a presenter; give the node's presenters to check it"));
                }
                catch { checkpoint.Dispose(); throw; }
            }
            // The registry lists it in `nius models show` and owns the generator's lifetime with the node's other models.
            models.Register(Neural, checkpoint.IsLocal ? "pix2pixHD local enhancer" : "pix2pixHD global generator",
                checkpoint.Source, checkpoint.Generator, options.Pix2PixHDDevice);
            var neural = new Pix2PixHDRenderer(checkpoint, options.Pix2PixHDBatchSize);
            renderers[neural.Name] = neural;
        }
        return renderers;
    }

    /// <summary>The renderer the render step uses: the one Render:Renderer names (warp by default).</summary>
    public static IRenderer Renderer(RenderStepOptions options, IReadOnlyDictionary<string, IRenderer> renderers) =>
        renderers.TryGetValue(options.Renderer, out var renderer) ? renderer
        : throw new SettingsException("Render:Renderer", $"'{options.Renderer}' is not a renderer on this node: use " +
            string.Join(", ", renderers.Keys.Order(StringComparer.Ordinal)) +
            (options.Renderer == Neural ? " (pix2pixhd needs Render:Pix2PixHD:Checkpoint)" : ""));

    /// <summary>A checkpoint from `nius train presenter` draws the one presenter it learned, from the clip it learned
    /// on: a node without that presenter, or whose clip has changed since, is stopped naming both.</summary>
    private static void CheckTrainedPresenter(Pix2PixHDCheckpoint checkpoint, TrainingIdentity trainedFor, PresenterLibrary presenters)
    {
        if (!presenters.Names.Contains(trainedFor.Presenter))
            throw new SettingsException("Render:Pix2PixHD:Checkpoint", $"{checkpoint.Source} was trained on presenter '{trainedFor.Presenter}', " +
                $"which this node does not have (presenters in {presenters.Root}: {string.Join(", ", presenters.Names)})");
        var now = presenters.MediaSha256(trainedFor.Presenter);
        if (now != trainedFor.ClipSha256)
            throw new SettingsException("Render:Pix2PixHD:Checkpoint", $"{checkpoint.Source} was trained on presenter '{trainedFor.Presenter}' " +
                $"from clip sha256 {trainedFor.ClipSha256[..12]}…, but presenter '{trainedFor.Presenter}' is now clip sha256 {now[..12]}…; " +
                $"train it again (nius train presenter {trainedFor.Presenter}) or restore that clip");
    }
}
