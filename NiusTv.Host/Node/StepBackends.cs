using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Init;
using NiusTv.Steps.Publish;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Storage;

namespace NiusTv.Host.Node;

/// <summary>The one place that picks a backend for each step from the node's settings. Actors never see this:
/// they get <see cref="IStoryStep"/>s.</summary>
public static class StepBackends
{
    public static IReadOnlyList<IStoryStep> Create(NodeSettings settings)
    {
        var assets = new LocalFolderAssetStore(Path.GetFullPath(settings.Assets));
        var videos = new LocalFolderVideoStore(Path.GetFullPath(settings.Out));
        return
        [
            new InitStep(assets),
            new SpeechStep(SpeechBackends(settings.SpeechBackend)),
            new ComposeStep(new ComposeOptions { TitleCardSeconds = settings.TitleCardSeconds, Preset = settings.X264Preset }),
            new PublishStep(videos),
        ];
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
