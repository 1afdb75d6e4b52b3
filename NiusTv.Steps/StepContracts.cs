using NiusTv.Steps.Stories;

namespace NiusTv.Steps;

/// <summary>One step of the story pipeline (init, speech, compose, publish…). Actors see only this
/// interface; which backend stands behind it is the host's choice.</summary>
public interface IStoryStep
{
    /// <summary>Pipeline name: <c>init</c>, <c>speech</c>, <c>compose</c>, <c>publish</c>.</summary>
    string Name { get; }

    /// <summary>The backend this step is configured with (<c>festival</c>, <c>ffmpeg</c>…), for the pool's own view. A step
    /// that chooses a backend per story (speech by voice, phonemes by the speech's timings) says which one ran in
    /// <see cref="StepOutput.Backend"/>: one step object serves many stories at once, so a property read after the run
    /// could name another story's choice.</summary>
    string Backend { get; }

    /// <summary>Runs the step. Throws <see cref="StepFailure"/> for failures the story actor should know the
    /// nature of; any other exception is treated as transient.</summary>
    Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct);
}

/// <param name="Workspace">Absolute path of this story revision's node-local workspace (exists).</param>
/// <param name="Artifacts">Artifacts of the steps completed before this one: key (<see cref="ArtifactKey.Name"/>) →
/// path relative to the workspace (or an absolute URI for things outside it).</param>
/// <param name="Rendition">For a step that runs per rendition (<see cref="StepDefinition.PerRendition"/>) of a story
/// with several outputs, the rendition this run is for; null otherwise.</param>
public sealed record StepInput(Story Story, int Revision, string Workspace, IReadOnlyDictionary<string, string> Artifacts,
    StoryRendition? Rendition = null)
{
    /// <summary>The size and frame rate this run makes: its rendition's, else the story's one output.</summary>
    public StoryOutput Output => Rendition?.Output ?? Story.Output;

    /// <summary><paramref name="artifact"/> as this run's rendition keeps it (<see cref="Steps.Artifacts.OfRendition"/>);
    /// the key itself outside a rendition.</summary>
    public ArtifactKey Own(ArtifactKey artifact) => Steps.Artifacts.OfRendition(artifact, Rendition?.Name);

    /// <summary>Whether an earlier step left <paramref name="artifact"/> (for artifacts only some stories have).</summary>
    public bool Has(ArtifactKey artifact) => Artifacts.ContainsKey(artifact.Name);

    public string PathOf(ArtifactKey artifact) =>
        Artifacts.TryGetValue(artifact.Name, out var rel) ? Path.Combine(Workspace, rel)
        : throw StepFailure.Permanent($"the artifact '{artifact}' of an earlier step is missing from the workspace");
}

/// <param name="Artifacts">What the step produced: key (<see cref="ArtifactKey.Name"/>) → path relative to the
/// workspace, or an absolute path/URI for published results outside it.</param>
/// <param name="Backend">The backend that did this run (<c>festival (kal)</c>, <c>pocketsphinx</c>); null for a step with
/// only one, whose <see cref="IStoryStep.Backend"/> then names it.</param>
public sealed record StepOutput(IReadOnlyDictionary<string, string> Artifacts, string? Backend = null)
{
    /// <summary>Files the step wrote into the workspace, each under its key as its path.</summary>
    public static StepOutput Files(IEnumerable<ArtifactKey> files, string? backend = null) =>
        new(files.ToDictionary(f => f.Name, f => f.Name, StringComparer.Ordinal), backend);
}

/// <summary>A step failure with its nature. Permanent: retrying cannot help (bad image, empty script); the
/// message is shown to people and must say what to fix. Transient: worth retrying (tool crashed, disk busy).</summary>
public sealed class StepFailure : Exception
{
    public bool Transient { get; }

    /// <summary>The backend that failed, where the step had chosen one before failing; null otherwise.</summary>
    public string? Backend { get; private set; }

    private StepFailure(string message, bool transient, Exception? inner) : base(message, inner) => Transient = transient;

    public static StepFailure Permanent(string reason, Exception? inner = null) => new(reason, false, inner);
    public static StepFailure Retryable(string reason, Exception? inner = null) => new(reason, true, inner);

    /// <summary>Names the backend this failure happened in, unless a deeper layer already did; returns the same
    /// exception so that <c>throw;</c> keeps its stack.</summary>
    public StepFailure RanOn(string backend)
    {
        Backend ??= backend;
        return this;
    }
}
