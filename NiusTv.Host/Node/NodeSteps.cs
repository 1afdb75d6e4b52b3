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

namespace NiusTv.Host.Node;

/// <summary>The node's pipeline: one registration per step folder, in the order stories run them. Each binds its step's
/// options and chooses its backends; the container builds them once when the node starts (<see cref="NodeHost"/>), so
/// a bad setting stops the node with one sentence naming it (<see cref="SettingsException"/>). Actors never see this:
/// they get the <see cref="Pipeline"/> and the <see cref="IStoryStep"/>s.</summary>
public static class NodeSteps
{
    /// <summary>init → speech → phonemes → landmarks → render → compose → publish, and what they share: the node's
    /// models, presenters, pronouncer, and the presenters and voices a story may ask for (<see cref="StoryChoices"/>).
    /// The node's <see cref="IGpuAdmission"/> is registered by the host.</summary>
    public static IServiceCollection AddNodeSteps(this IServiceCollection services, NodeSettings settings)
    {
        services.AddModels(settings.ModelDevice)
            .AddInitStep(InitOptions(settings))
            .AddSpeechStep(SpeechOptions(settings))
            .AddPhonemesStep(PhonemesOptions(settings))
            .AddLandmarksStep(LandmarksOptions(settings))
            .AddRenderStep(RenderOptions(settings))
            .AddComposeStep(ComposeOptions(settings))
            .AddPublishStep(PublishOptions(settings));
        services.TryAddSingleton(sp =>
        {
            var presenters = sp.GetRequiredService<PresenterLibrary>();
            var speech = sp.GetRequiredService<SpeechStep>();
            return new StoryChoices(() => presenters.Names, () => speech.AvailableVoices, presenters.VoiceOf);
        });
        return services;
    }

    /// <summary>The pipeline every node runs, read from the registrations above without building a step: for tools and
    /// tests that need the step order (a node's own is in its container).</summary>
    public static Pipeline Pipeline { get; } = new ServiceCollection().AddNodeSteps(new NodeSettings()).RegisteredPipeline();

    public static InitStepOptions InitOptions(NodeSettings s) => new(s.AssetsLocation, s.StorageEndpoint);

    public static SpeechStepOptions SpeechOptions(NodeSettings s) => new(s.DataPath) { Backend = s.SpeechBackend, Tacotron2 = s.Tacotron2 };

    public static PhonemesStepOptions PhonemesOptions(NodeSettings s) => new()
    {
        Aligner = s.PhonemesAligner, GentleUrl = s.GentleUrl, Lexicon = s.PhonemesLexicon, Dictionary = s.PhonemesDictionary, Model = s.PhonemesModel,
    };

    public static LandmarksStepOptions LandmarksOptions(NodeSettings s) => new(s.PresentersPath, s.PresenterCachePath) { Model = s.LandmarkModel };

    public static RenderStepOptions RenderOptions(NodeSettings s) => new()
    {
        Renderer = s.Renderer, Pix2PixHDCheckpoint = s.Pix2PixHDCheckpoint, Pix2PixHDDevice = s.Pix2PixHDDevice, Pix2PixHDBatchSize = s.Pix2PixHDBatchSize,
    };

    public static ComposeOptions ComposeOptions(NodeSettings s) => new() { TitleCardSeconds = s.TitleCardSeconds, Preset = s.X264Preset, LoudnessLufs = s.OutputLoudness };

    public static PublishStepOptions PublishOptions(NodeSettings s) => new(s.OutLocation, s.StorageEndpoint);

    /// <summary>The node's presenter profiles, checked (for tools that need them without a node).</summary>
    public static PresenterLibrary Presenters(NodeSettings settings) => LandmarksRegistration.Presenters(LandmarksOptions(settings));
}
