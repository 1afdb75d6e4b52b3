using NiusTv.Steps.Compose;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech;

namespace NiusTv.Steps.Landmarks;

/// <summary>The <c>landmarks</c> step: the story's presenter's reference face, moved frame by frame by the timed
/// phones of <c>phones.json</c> (mouth), the story id (blinks, head drift) and the output frame rate, written as
/// <c>landmarks.json</c> with one frame per output frame over the length of <c>speech.wav</c>.</summary>
public sealed class LandmarksStep(IPresenterLibrary presenters) : IStoryStep
{
    public static readonly StepDefinition Definition = new("landmarks", inputs: [Artifacts.Phones, Artifacts.Speech],
        outputs: [Artifacts.Landmarks], PoolSize.Fixed(1));

    public string Name => Definition.Name;

    public string Backend => "visemes";

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        progress.Report(0);
        var story = input.Story;
        // One track for every rendition, at the highest frame rate any of them shows; each samples it by time.
        var fps = story.MotionFps;
        if (fps < 1)
            throw StepFailure.Permanent($"output.fps is {fps}; it must be at least 1");

        var presenter = story.Presenter;
        if (!presenters.Names.Contains(presenter, StringComparer.Ordinal))
            throw StepFailure.Permanent($"presenter: '{presenter}' is not a presenter of this node; set 'presenter' to one of: " +
                string.Join(", ", presenters.Names.Select(n => $"'{n}'")));
        var reference = presenters.Reference(presenter);

        var phonesPath = input.PathOf(Artifacts.Phones);
        PhoneTrack phones;
        try { phones = PhoneTrack.Load(phonesPath); }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
        {
            // The phonemes step wrote it: a broken file is worth one more run of that step, not a story to fix.
            throw StepFailure.Retryable($"{Artifacts.Phones} cannot be read: {e.Message}", e);
        }
        if (phones.Phones is null) throw StepFailure.Retryable($"{Artifacts.Phones} has no 'phones' list");

        double duration;
        try { duration = WavInfo.Read(input.PathOf(Artifacts.Speech)).Duration; }
        catch (InvalidDataException e) { throw StepFailure.Retryable($"{Artifacts.Speech}: {e.Message}", e); }

        LandmarkTrack track;
        // A clip presenter's mouth also follows the speech's loudness (the jaw opens wider on louder syllables).
        double[]? loudness = null;
        if (reference.Clip is not null)
        {
            try { loudness = LipSync.LoudnessEnvelope(WaveFile.Read(input.PathOf(Artifacts.Speech)), fps); }
            catch (InvalidDataException e) { throw StepFailure.Retryable($"{Artifacts.Speech}: {e.Message}", e); }
        }
        try { track = LandmarkAnimator.Animate(reference, phones, duration, fps, story.Id, loudness); }
        catch (InvalidDataException e)
        {
            // Rerunning this step would read the same file again: only a fixed phonemes step can help.
            throw StepFailure.Permanent($"{Artifacts.Phones} from the phonemes step is not usable: {e.Message}", e);
        }
        catch (ArgumentException e) when (e.ParamName == "face")
        {
            throw StepFailure.Permanent($"presenter '{presenter}': its reference face cannot be animated ({e.Message}); use another photo", e);
        }
        ct.ThrowIfCancellationRequested();
        progress.Report(0.8);

        // Written under a temporary name and renamed, so a half-written file never passes for a finished one.
        var path = Artifacts.Landmarks.In(input.Workspace);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await Task.Run(() => track.Save(temp), ct);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        progress.Report(1);
        return StepOutput.Files([Artifacts.Landmarks]);
    }
}
