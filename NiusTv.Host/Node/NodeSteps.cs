using Microsoft.Extensions.DependencyInjection.Extensions;
using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Init;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Models;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Publish;
using NiusTv.Steps.Render;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using NiusTv.Host.Node.Settings;

namespace NiusTv.Host.Node;

/// <summary>The node's pipeline: one registration per step folder, in the order stories run them. Each binds its step's
/// options and chooses its backends; the container builds them once when the node starts (<see cref="NodeHost"/>), so
/// a bad setting stops the node with one sentence naming it (<see cref="SettingsException"/>). Actors never see this:
/// they get the <see cref="Pipeline"/> and the <see cref="IStoryStep"/>s.</summary>
public static class NodeSteps
{
    /// <summary>init → speech → phonemes → landmarks → render → compose → publish, and what they share: the node's
    /// models, presenters, pronouncer, and the presenters and voices a story may ask for (<see cref="StoryChoices"/>).
    /// Each step's section (<c>Speech</c>, <c>Render</c>…) is bound from <paramref name="configuration"/> and validated on
    /// start; the folders come from the node's own settings. The node's <see cref="IGpuAdmission"/> is registered by the host.</summary>
    public static IServiceCollection AddNodeSteps(this IServiceCollection services, IConfiguration configuration, NodeSettings node)
    {
        var models = services.AddSection<ModelsSettings>(configuration);
        var speech = services.AddSection<SpeechSettings>(configuration);
        var phonemes = services.AddSection<PhonemesSettings>(configuration);
        var render = services.AddSection<RenderSettings>(configuration);
        var compose = services.AddSection<ComposeSettings>(configuration);
        var output = services.AddSection<OutputSettings>(configuration);
        var storage = services.AddSection<StorageSettings>(configuration);
        services.AddModels(models.ModelDevice)
            .AddInitStep(new InitStepOptions(node.AssetsLocation, storage.Endpoint))
            .AddSpeechStep(SpeechOptions(speech, models, node))
            .AddPhonemesStep(PhonemesOptions(phonemes))
            .AddLandmarksStep(LandmarksOptions(node))
            .AddRenderStep(RenderOptions(render))
            .AddComposeStep(new ComposeOptions { TitleCardSeconds = compose.TitleCardSeconds, Preset = compose.Preset, LoudnessLufs = output.LoudnessLufs })
            .AddPublishStep(new PublishStepOptions(node.OutLocation, storage.Endpoint));
        services.TryAddSingleton(sp =>
        {
            var presenters = sp.GetRequiredService<PresenterLibrary>();
            var speechStep = sp.GetRequiredService<SpeechStep>();
            return new StoryChoices(() => presenters.Names, () => speechStep.AvailableVoices, presenters.VoiceOf);
        });
        return services;
    }

    /// <summary>The pipeline every node runs, read from the registrations above without building a step: for tools and
    /// tests that need the step order (a node's own is in its container).</summary>
    public static Pipeline Pipeline { get; } = new ServiceCollection().AddNodeSteps(NodeConfiguration.From(), new NodeSettings()).RegisteredPipeline();

    public static SpeechStepOptions SpeechOptions(SpeechSettings speech, ModelsSettings models, NodeSettings node) =>
        new(node.DataPath) { Backend = ChoiceConverter<SpeechBackend>.NameOf(speech.Backend), Tacotron2 = speech.Tacotron2Voice(models) };

    public static PhonemesStepOptions PhonemesOptions(PhonemesSettings s) => new()
    {
        Aligner = ChoiceConverter<PhonemesAligner>.NameOf(s.Aligner), GentleUrl = Text(s.GentleUrl), Lexicon = Text(s.Lexicon),
        Dictionary = Text(s.Dictionary), Model = Text(s.Model),
    };

    public static LandmarksStepOptions LandmarksOptions(NodeSettings s) => new(s.PresentersPath, s.PresenterCachePath) { Model = s.LandmarkModel };

    public static RenderStepOptions RenderOptions(RenderSettings s) => new()
    {
        Renderer = ChoiceConverter<AnchorRenderer>.NameOf(s.Renderer), Pix2PixHDCheckpoint = Text(s.Pix2PixHD.Checkpoint),
        Pix2PixHDDevice = Text(s.Pix2PixHD.Device) ?? "cpu", Pix2PixHDBatchSize = s.Pix2PixHD.BatchSize,
    };

    /// <summary>The node's presenter profiles, checked (for tools that need them without a node).</summary>
    public static PresenterLibrary Presenters(NodeSettings settings) => LandmarksRegistration.Presenters(LandmarksOptions(settings));

    /// <summary>An empty value (<c>NIUSTV__Phonemes__Lexicon=</c>) is no value.</summary>
    private static string? Text(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
