using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Models;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech.Tacotron2;

namespace NiusTv.Steps.Speech;

/// <param name="DataFolder">The node's data folder, which holds the newsroom's pronunciation dictionary.</param>
public sealed record SpeechStepOptions(string DataFolder)
{
    /// <summary>Speech:Backend: auto, tacotron2, festival or espeak-ng.</summary>
    public string Backend { get; init; } = "auto";

    /// <summary>The tacotron2 backend (Speech:Tacotron2:*, Speech:WaveGlow:*); null when no checkpoints are configured.</summary>
    public Tacotron2SpeechOptions? Tacotron2 { get; init; }
}

public static class SpeechRegistration
{
    /// <summary>The <c>speech</c> step with the node's voices, and the newsroom's <see cref="PronunciationDictionary"/>.
    /// Neural checkpoints are loaded into the node's <see cref="ModelRegistry"/> when the node starts, so a bad one stops
    /// it naming the setting. The words are said as the node's pronouncer (<see cref="IPronouncer"/>, from the phonemes
    /// step's registration) and the presenters' own voices (<see cref="PresenterLibrary"/>) say, when the node has them.</summary>
    public static IServiceCollection AddSpeechStep(this IServiceCollection services, SpeechStepOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(_ => PronunciationDictionary.InDataFolder(options.DataFolder));
        services.TryAddSingleton(sp =>
        {
            var synthesizers = Synthesizers(options, sp.GetRequiredService<ModelRegistry>(), sp.GetRequiredService<StartupNotes>());
            var dictionary = sp.GetRequiredService<PronunciationDictionary>();
            // The node's user lexicon under the newsroom dictionary: Festival and the other voices say what the mouth shows.
            var lexicon = (sp.GetService<IPronouncer>() as Pronouncer)?.Lexicon.ToPronunciations() ?? PronunciationSet.Empty;
            var presenters = sp.GetService<PresenterLibrary>();
            return new SpeechStep(synthesizers, () => dictionary.Load().Over(lexicon), presenters is null ? null : presenters.VoiceOf);
        });
        return services.AddStoryStep(SpeechStep.Definition, sp => sp.GetRequiredService<SpeechStep>());
    }

    /// <summary>Tacotron2 + WaveGlow first when their checkpoints are configured, then Festival (HTS voice, with phone
    /// timings; stories can still ask for it with voice 'festival'); espeak-ng when Festival is missing or when asked for.</summary>
    public static IReadOnlyList<ISpeechSynthesizer> Synthesizers(SpeechStepOptions options, ModelRegistry models, StartupNotes notes)
    {
        var choice = options.Backend;
        if (choice is not ("auto" or "" or "tacotron2" or "festival" or "espeak-ng" or "espeak"))
            throw new SettingsException("Speech:Backend", $"'{choice}' is not a speech backend: use auto, tacotron2, festival or espeak-ng");
        if (choice == "tacotron2" && options.Tacotron2 is null)
            throw new SettingsException("Speech:Tacotron2:Checkpoint", "Speech:Backend is tacotron2, which needs Speech:Tacotron2:Checkpoint and Speech:WaveGlow:Checkpoint");
        ISpeechSynthesizer? neural = null;
        if (options.Tacotron2 is { } tacotron2 && choice is "auto" or "" or "tacotron2")
        {
            ModelsRegistration.EnsureDevice(models.Device);
            Tacotron2Voice voice;
            try { voice = Tacotron2Voice.Load(tacotron2, models); }
            catch (CheckpointException e)
            {
                var setting = e.Message.StartsWith(Path.GetFullPath(tacotron2.WaveGlowCheckpoint), StringComparison.Ordinal) ? "Speech:WaveGlow:Checkpoint"
                    : e.Message.StartsWith("fp16", StringComparison.Ordinal) ? "Models:Fp16" : "Speech:Tacotron2:Checkpoint";
                throw new SettingsException(setting, e.Message);
            }
            neural = new Tacotron2Synthesizer(voice, tacotron2);
            notes.Add($"speech: tacotron2 + waveglow on {models.Device.Name} ({voice.Tacotron2.Checkpoint}, {voice.WaveGlow.Checkpoint}); " +
                      $"{voice.Config.SamplingRate} Hz, {tacotron2.MaxDecoderSteps ?? voice.Config.MaxDecoderSteps} decoder steps at most per sentence");
        }
        else if (choice is "auto" or "")
            notes.Add("speech: no Tacotron2/WaveGlow checkpoints configured (Speech:Tacotron2:Checkpoint, Speech:WaveGlow:Checkpoint); speaking with Festival");
        // Every Festival voice Debian installs (SLT first: the default), then espeak-ng; each is offered when installed.
        IReadOnlyList<ISpeechSynthesizer> festival = [.. FestivalVoice.Known.Select(v => new FestivalSynthesizer(voice: v))];
        return choice switch
        {
            "tacotron2" => [neural!],
            "festival" => festival,
            "espeak-ng" or "espeak" => [new EspeakSynthesizer()],
            _ => neural is null ? [.. festival, new EspeakSynthesizer()] : [neural, .. festival, new EspeakSynthesizer()],
        };
    }
}
