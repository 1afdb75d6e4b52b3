using NiusTv.Steps.Speech;

namespace NiusTv.Steps.Phonemes;

/// <summary>The <c>phonemes</c> step: finds when each word and phone of the story is spoken in
/// <c>speech.wav</c> and writes <c>phones.json</c>, which the landmarks step turns into mouth shapes.
/// The aligner is the node's choice (<c>Phonemes:Aligner</c>): <c>auto</c> takes the synthesizer's own phone
/// timings when it gave usable ones (Festival) and forced alignment with pocketsphinx otherwise.</summary>
public sealed class PhonemesStep : IStoryStep
{
    public static readonly StepDefinition Definition = new("phonemes",
        inputs: [Artifacts.Speech, Artifacts.Timings, Artifacts.Pronunciations], outputs: [Artifacts.Phones],
        PoolSize.OnePer(2)); // pocketsphinx: one core per process

    public const string Auto = "auto";

    private readonly IReadOnlyList<IAligner> _aligners;
    private readonly IPronouncer _pronouncer;
    private readonly string _choice;

    /// <param name="aligners">The aligners this node has; <c>auto</c> tries <c>synthesizer</c>, then
    /// <c>pocketsphinx</c>.</param>
    /// <param name="choice"><c>auto</c> or the name of one of <paramref name="aligners"/>.</param>
    public PhonemesStep(IReadOnlyList<IAligner> aligners, IPronouncer pronouncer, string choice = Auto)
    {
        if (aligners.Count == 0) throw new ArgumentException("at least one aligner is needed", nameof(aligners));
        if (choice != Auto && aligners.All(a => a.Name != choice))
            throw new ArgumentException($"'{choice}' is not one of this node's aligners ({string.Join(", ", aligners.Select(a => a.Name))})", nameof(choice));
        _aligners = aligners;
        _pronouncer = pronouncer;
        _choice = choice;
    }

    public string Name => Definition.Name;

    /// <summary>The configured aligner (or <c>auto</c>). Which one aligned a given story is in its <see cref="StepOutput.Backend"/>.</summary>
    public string Backend => _choice == Auto ? Auto : _choice;

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        progress.Report(0);
        var wav = input.PathOf(Artifacts.Speech);
        var timingsPath = input.PathOf(Artifacts.Timings);
        SpeechTimings timings;
        try { timings = SpeechTimings.Load(timingsPath); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
        {
            // The speech step writes it atomically, so a bad file is damage, and speaking again repairs it.
            throw StepFailure.Retryable($"{Artifacts.Timings} in the workspace cannot be read ({e.Message}); run the speech step again", e);
        }
        // What was spoken: the speech step normalized the same paragraphs the same way.
        var request = new AlignmentRequest(wav, timings, SpeechStep.SpokenParagraphs(input.Story));
        var aligner = Select(request);
        // A local, not a field: this step object aligns other stories at the same time.
        var backend = aligner.Name;
        // The editors' pronunciations the speech step said the story with, in front of the node's pronouncer: lips
        // follow what was said even where the aligner gets phones from the pronouncer (espeak-ng, Tacotron2 audio).
        var pronouncer = SpokenPronunciations(input) is { Count: > 0 } entries ? new PronouncerWithEntries(_pronouncer, entries) : _pronouncer;

        PhoneTrack track;
        try { track = await aligner.AlignAsync(request, pronouncer, ct); }
        catch (StepFailure e) when (e.Transient || aligner.Name == SynthesizerAligner.AlignerName)
        {
            e.RanOn(backend);
            throw;
        }
        catch (StepFailure e)
        {
            // The audio and the script do not fit (a forced aligner's permanent failure). Retrying cannot help and the
            // audio may still be worth publishing, so the phones are estimated and the timeline says why.
            track = EstimatedAlignment.Spread(request, pronouncer);
            backend = $"{EstimatedAlignment.AlignerName} ({aligner.Name}: {Shorten(e.Message)})";
        }
        Check(track, track.Aligner);
        var path = Artifacts.Phones.In(input.Workspace);
        var temp = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            track.Save(temp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        progress.Report(1);
        return StepOutput.Files([Artifacts.Phones], backend);
    }

    /// <summary>The speech step's <see cref="Artifacts.Pronunciations"/>; empty for a workspace spoken before it existed.</summary>
    private static PronunciationSet SpokenPronunciations(StepInput input)
    {
        if (!input.Has(Artifacts.Pronunciations)) return PronunciationSet.Empty;
        var path = input.PathOf(Artifacts.Pronunciations);
        try { return PronunciationSet.FromJson(File.ReadAllText(path)); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or IOException)
        {
            throw StepFailure.Retryable($"{Artifacts.Pronunciations} in the workspace cannot be read ({e.Message}); run the speech step again", e);
        }
    }

    private static string Shorten(string message) => message.Length <= 160 ? message : message[..157] + "...";

    private IAligner Select(AlignmentRequest request)
    {
        if (_choice != Auto)
        {
            var chosen = _aligners.First(a => a.Name == _choice);
            return chosen.CanAlign(request) ? chosen : throw StepFailure.Retryable(
                $"the aligner '{_choice}' (Phonemes:Aligner) cannot align this story's speech from '{request.Timings.Backend}'" +
                (_choice == SynthesizerAligner.AlignerName ? ": its timings have no Festival phones; use auto or pocketsphinx" : ": its tool is not installed"));
        }
        foreach (var name in new[] { SynthesizerAligner.AlignerName, PocketsphinxAligner.AlignerName })
            if (_aligners.FirstOrDefault(a => a.Name == name) is { } a && a.CanAlign(request)) return a;
        throw StepFailure.Retryable(
            $"no aligner on this node can align speech from '{request.Timings.Backend}': its timings have no Festival phones and pocketsphinx is not installed (apt-get install pocketsphinx pocketsphinx-en-us)");
    }

    /// <summary>Downstream steps index frames by these times: an aligner that returned times outside the audio
    /// or out of order has a bug, and saying so here beats a mouth that moves in the wrong place.</summary>
    private static void Check(PhoneTrack track, string aligner)
    {
        const double slack = 0.05;
        double last = double.NegativeInfinity;
        foreach (var p in track.Phones)
        {
            if (p.Start < -slack || p.End > track.Duration + slack || p.End < p.Start || p.Start < last - 1e-6)
                throw StepFailure.Retryable($"the {aligner} aligner returned a phone '{p.Phone}' at {p.Start:0.000}-{p.End:0.000} s, outside the audio's {track.Duration:0.000} s or out of order");
            if (p.Phone != PhoneTrack.Silence && !CmuPhones.All.Contains(p.Phone))
                throw StepFailure.Retryable($"the {aligner} aligner returned '{p.Phone}', which is not a CMU phone");
            last = p.Start;
        }
    }
}
