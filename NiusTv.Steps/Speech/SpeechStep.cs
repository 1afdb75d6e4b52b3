using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech.Normalization;

namespace NiusTv.Steps.Speech;

/// <summary>The <c>speech</c> step: turns the story's paragraphs into <see cref="Artifacts.Speech"/> and
/// <see cref="Artifacts.Timings"/>, which compose uses to move the presenter's mouth and to time the images, and
/// <see cref="Artifacts.Pronunciations"/>, the editors' pronunciations this revision was spoken with (story over
/// newsroom), for the phonemes step.</summary>
public sealed class SpeechStep : IStoryStep
{
    public static readonly StepDefinition Definition = new("speech", inputs: [],
        outputs: [Artifacts.Speech, Artifacts.Timings, Artifacts.Pronunciations], PoolSize.OnePer(2));

    public const string DefaultVoice = "default";

    private readonly IReadOnlyList<ISpeechSynthesizer> _backends;
    private readonly Func<PronunciationSet> _newsroom;
    private readonly Func<string, string?> _presenterVoice;

    /// <param name="backends">In order of preference; the first available one speaks stories whose voice is
    /// <c>default</c> (and whose presenter names no voice).</param>
    /// <param name="newsroom">The newsroom dictionary's entries, read at each run.</param>
    /// <param name="presenterVoice">A presenter profile's own default voice, or null.</param>
    public SpeechStep(IReadOnlyList<ISpeechSynthesizer> backends, Func<PronunciationSet>? newsroom = null, Func<string, string?>? presenterVoice = null)
    {
        if (backends.Count == 0) throw new ArgumentException("at least one speech synthesizer is needed", nameof(backends));
        _backends = backends;
        _newsroom = newsroom ?? (() => PronunciationSet.Empty);
        _presenterVoice = presenterVoice ?? (_ => null);
    }

    /// <summary>Festival first (a natural voice: SLT, then the male kal), espeak-ng where Festival is not installed.</summary>
    public static SpeechStep CreateDefault() => new(DefaultBackends());

    public static IReadOnlyList<ISpeechSynthesizer> DefaultBackends() =>
        [.. FestivalVoice.Known.Select(v => new FestivalSynthesizer(voice: v)), new EspeakSynthesizer()];

    public string Name => Definition.Name;

    /// <summary>The backend a default story gets. Which one spoke a given story is in its <see cref="StepOutput.Backend"/>.</summary>
    public string Backend => _backends.FirstOrDefault(b => b.IsAvailable)?.Name ?? "none";

    /// <summary>Values the story's <c>voice</c> field can take on this node: <c>default</c>, each voice's name, and each
    /// backend's name (its first voice).</summary>
    public IReadOnlyList<string> AvailableVoices =>
        [DefaultVoice, .. Voices.Select(v => v.Name).Concat(_backends.Where(b => b.IsAvailable).Select(b => b.Name)).Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>The voices this node can speak with (installed), the default first.</summary>
    public IReadOnlyList<VoiceInfo> Voices => _backends.Where(b => b.IsAvailable).Select(b => b.Voice).ToList();

    /// <summary>The voice a story gets: its own, else its presenter's, else the node's default.</summary>
    public string VoiceFor(Stories.Story story) =>
        string.IsNullOrWhiteSpace(story.Voice) || story.Voice.Equals(DefaultVoice, StringComparison.OrdinalIgnoreCase)
            ? _presenterVoice(story.Presenter) ?? DefaultVoice : story.Voice;

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        var paragraphs = input.Story.Paragraphs;
        if (paragraphs.All(string.IsNullOrWhiteSpace))
            throw StepFailure.Permanent("the story has nothing to speak: all its paragraphs are empty. " +
                "Put the text to be read in 'paragraphs' and publish the story again.");

        var backend = Select(VoiceFor(input.Story));
        // "festival" for a backend's first voice (as before there were several), "festival (kal)" for the others.
        // A local, not a field: this step object speaks other stories at the same time.
        var label = _backends.First(b => b.Name == backend.Name) == backend ? backend.Name : $"{backend.Name} ({backend.Voice.Name})";
        progress.Report(0);

        var wavPath = Artifacts.Speech.In(input.Workspace);
        var timingsPath = Artifacts.Timings.In(input.Workspace);
        // Written under temporary names and renamed: a crash or a kill never leaves a half file under the
        // final name, where a retry or the compose step would take it for a finished one.
        var suffix = $".{Guid.NewGuid():N}.tmp";
        var wavTemp = wavPath + suffix;
        var timingsTemp = timingsPath + suffix;
        var pronunciationsPath = Artifacts.Pronunciations.In(input.Workspace);
        var pronunciationsTemp = pronunciationsPath + suffix;
        try
        {
            // Every backend gets the newsreader's words, so that "2019" is "twenty nineteen" whoever speaks it and
            // the phonemes step (which normalizes the same way) knows the words that were said.
            var spoken = SpokenParagraphs(input.Story);
            var pronunciations = Pronunciations(input.Story);
            SpeechResult result;
            try { result = await backend.SynthesizeAsync(spoken, wavTemp, ct, progress, pronunciations); }
            catch (StepFailure f)
            {
                f.RanOn(label);
                throw;
            }
            result.Timings.Save(timingsTemp);
            await File.WriteAllTextAsync(pronunciationsTemp, pronunciations.ToJson(), ct);
            // The WAV goes last: its presence under the final name means the other files are complete.
            File.Move(pronunciationsTemp, pronunciationsPath, overwrite: true);
            File.Move(timingsTemp, timingsPath, overwrite: true);
            File.Move(wavTemp, wavPath, overwrite: true);
        }
        finally
        {
            TryDelete(wavTemp);
            TryDelete(timingsTemp);
            TryDelete(pronunciationsTemp);
        }
        progress.Report(1);
        return StepOutput.Files([Artifacts.Speech, Artifacts.Timings, Artifacts.Pronunciations], label);
    }

    /// <summary>Speaks one short text (a word to listen to in the newsroom) with the voice a story with this voice and
    /// presenter gets, with the newsroom dictionary under <paramref name="entries"/>, as the story would say it.</summary>
    public async Task<SpeechResult> SpeakAsync(string text, string? voice, string? presenter, PronunciationSet entries, string wavPath, CancellationToken ct)
    {
        var backend = Select(string.IsNullOrWhiteSpace(voice) || voice.Equals(DefaultVoice, StringComparison.OrdinalIgnoreCase)
            ? (presenter is { Length: > 0 } ? _presenterVoice(presenter) : null) ?? DefaultVoice : voice);
        PronunciationSet newsroom;
        try { newsroom = _newsroom(); }
        catch (InvalidDataException) { newsroom = PronunciationSet.Empty; }
        return await backend.SynthesizeAsync([TextNormalizer.Normalize(text)], wavPath, ct, null, entries.Over(newsroom));
    }

    /// <summary>The story's own pronunciations over the newsroom dictionary's. A newsroom file damaged by hand stops
    /// the story with the reason (retryable: fixing the file lets it go on).</summary>
    public PronunciationSet Pronunciations(Stories.Story story)
    {
        PronunciationSet newsroom;
        try { newsroom = _newsroom(); }
        catch (InvalidDataException e) { throw StepFailure.Retryable($"the newsroom pronunciation dictionary cannot be read: {e.Message}", e); }
        return story.PronunciationSet().Over(newsroom);
    }

    /// <summary>The story's paragraphs as they are spoken (<see cref="TextNormalizer"/>); blank ones stay blank
    /// so that indices still match the story's.</summary>
    public static IReadOnlyList<string> SpokenParagraphs(Stories.Story story) =>
        story.Paragraphs.Select(TextNormalizer.Normalize).ToList();

    private ISpeechSynthesizer Select(string? voice)
    {
        var available = _backends.Where(b => b.IsAvailable).ToList();
        if (string.IsNullOrWhiteSpace(voice) || voice.Equals(DefaultVoice, StringComparison.OrdinalIgnoreCase))
        {
            // Nothing about the story is wrong here: another node, or this one after setup, can speak it.
            return available.FirstOrDefault() ?? throw StepFailure.Retryable(
                $"no speech synthesizer is installed on this node (tried {string.Join(", ", _backends.Select(b => b.Name))}); install festival and festvox-us-slt-hts, or espeak-ng");
        }
        return available.FirstOrDefault(b => b.Voice.Name.Equals(voice, StringComparison.OrdinalIgnoreCase))
            ?? available.FirstOrDefault(b => b.Name.Equals(voice, StringComparison.OrdinalIgnoreCase))
            ?? throw StepFailure.Permanent(
                $"voice: '{voice}' is not a voice this node has; set 'voice' to one of: {string.Join(", ", AvailableVoices.Select(v => $"'{v}'"))}");
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
