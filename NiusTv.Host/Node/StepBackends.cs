using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Init;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Models;
using NiusTv.Steps.Publish;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Pix2PixHD;
using NiusTv.Steps.Render.Sketch;
using NiusTv.Steps.Render.Warp;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Storage;

namespace NiusTv.Host.Node;

/// <summary>The one place that picks a backend for each step from the node's settings. Actors never see this:
/// they get <see cref="IStoryStep"/>s.</summary>
public static class StepBackends
{
    /// <param name="renderers">From <see cref="Renderers"/>, built once per node.</param>
    /// <param name="admission">The node's GPU admission, for renderers that need the GPU.</param>
    public static IReadOnlyList<IStoryStep> Create(NodeSettings settings, IReadOnlyDictionary<string, IRenderer> renderers, IGpuAdmission admission)
    {
        var gcs = new Lazy<Google.Cloud.Storage.V1.StorageClient>(() => GcsClients.Create(settings.StorageEndpoint));
        IAssetStore assets;
        if (IsGcs(settings.Assets))
        {
            var (bucket, prefix) = Location("--assets", settings.Assets);
            if (prefix.Length > 0)
                throw new SettingsException("--assets", $"'{settings.Assets}': assets come from a whole bucket (gs://BUCKET); story uris carry the paths");
            assets = new GcsAssetStore(gcs.Value, bucket);
        }
        else assets = new LocalFolderAssetStore(settings.AssetsLocation);
        IVideoStore videos;
        if (IsGcs(settings.Out))
        {
            var (bucket, prefix) = Location("--out", settings.Out);
            videos = new GcsVideoStore(gcs.Value, bucket, prefix);
        }
        else videos = new LocalFolderVideoStore(settings.OutLocation);
        return
        [
            new InitStep(assets),
            new SpeechStep(SpeechBackends(settings.SpeechBackend)),
            new RenderStep(Renderer(settings, renderers), Presenters(settings), admission),
            new ComposeStep(new ComposeOptions { TitleCardSeconds = settings.TitleCardSeconds, Preset = settings.X264Preset }),
            new PublishStep(videos),
        ];
    }

    /// <summary>The node's presenter profiles. Every profile's manifest and photo are checked here, at start-up, so a
    /// broken profile stops the node with its reason instead of failing stories later; faces are detected lazily,
    /// once per photo (then cached under the data folder).</summary>
    public static PresenterLibrary Presenters(NodeSettings settings)
    {
        var library = new PresenterLibrary(settings.PresentersPath, settings.PresenterCachePath,
            () => new DlibFaceLandmarkDetector(settings.LandmarkModel));
        if (library.Problems() is { Count: > 0 } problems)
            throw new SettingsException("Presenters:Root", string.Join("; ", problems));
        if (!File.Exists(settings.LandmarkModel))
            throw new SettingsException("Landmarks:Model", $"the dlib landmark model {settings.LandmarkModel} is missing (Debian package libdlib-data)");
        return library;
    }

    /// <summary>The renderers this node can run, by name: <c>warp</c> and <c>sketch</c> always; <c>pix2pixhd</c> when a checkpoint is
    /// configured. The checkpoint is loaded here, once per node, so a missing or mismatched one is an error at start-up
    /// naming the setting, not a failure in the middle of a story.</summary>
    public static IReadOnlyDictionary<string, IRenderer> Renderers(NodeSettings settings)
    {
        var renderers = new Dictionary<string, IRenderer>(StringComparer.Ordinal);
        var warp = new WarpRenderer();
        renderers[warp.Name] = warp;
        var sketch = new SketchRenderer();
        renderers[sketch.Name] = sketch;
        if (settings.Pix2PixHDCheckpoint is { } path)
        {
            Pix2PixHDCheckpoint checkpoint;
            try { checkpoint = Pix2PixHDCheckpoint.Load(path, settings.Pix2PixHDDevice); }
            catch (CheckpointException e) { throw new SettingsException("Render:Pix2PixHD:Checkpoint", e.Message); }
            var neural = new Pix2PixHDRenderer(checkpoint, settings.Pix2PixHDBatchSize);
            renderers[neural.Name] = neural;
        }
        return renderers;
    }

    /// <summary>The renderer the render step uses: the one Render:Renderer names (warp by default).</summary>
    public static IRenderer Renderer(NodeSettings settings, IReadOnlyDictionary<string, IRenderer> renderers) =>
        renderers.TryGetValue(settings.Renderer, out var renderer) ? renderer
        : throw new SettingsException("Render:Renderer", $"'{settings.Renderer}' is not a renderer on this node: use " +
            string.Join(", ", renderers.Keys.Order(StringComparer.Ordinal)) +
            (settings.Renderer == "pix2pixhd" ? " (pix2pixhd needs Render:Pix2PixHD:Checkpoint)" : ""));

    private static bool IsGcs(string location) => NodeSettings.IsGcs(location);

    private static (string Bucket, string Prefix) Location(string option, string value)
    {
        try { return GcsClients.ParseLocation(value); }
        catch (ArgumentException e) { throw new SettingsException(option, e.Message); }
    }

    /// <summary>Festival first (HTS voice, with phone timings); espeak-ng when Festival is missing or when asked for.</summary>
    private static IReadOnlyList<ISpeechSynthesizer> SpeechBackends(string choice) => choice switch
    {
        "auto" or "" => [new FestivalSynthesizer(), new EspeakSynthesizer()],
        "festival" => [new FestivalSynthesizer()],
        "espeak-ng" or "espeak" => [new EspeakSynthesizer()],
        _ => throw new SettingsException("Speech:Backend", $"'{choice}' is not a speech backend: use auto, festival or espeak-ng"),
    };
}
