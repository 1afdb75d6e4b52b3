using NiusTv.Steps.Stories;

namespace NiusTv.Steps;

/// <summary>One step of the story pipeline (init, speech, compose, publish…). Actors see only this
/// interface; which backend stands behind it is the host's choice.</summary>
public interface IStoryStep
{
    /// <summary>Pipeline name: <c>init</c>, <c>speech</c>, <c>compose</c>, <c>publish</c>.</summary>
    string Name { get; }

    /// <summary>The backend doing the work, for the timeline and metrics (<c>festival</c>, <c>ffmpeg</c>…).</summary>
    string Backend { get; }

    /// <summary>Runs the step. Throws <see cref="StepFailure"/> for failures the story actor should know the
    /// nature of; any other exception is treated as transient.</summary>
    Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct);
}

/// <param name="Workspace">Absolute path of this story revision's node-local workspace (exists).</param>
/// <param name="Artifacts">Artifacts of the steps completed before this one: name → path relative to the
/// workspace (or an absolute URI for things outside it).</param>
public sealed record StepInput(Story Story, int Revision, string Workspace, IReadOnlyDictionary<string, string> Artifacts)
{
    public string PathOf(string artifact) =>
        Artifacts.TryGetValue(artifact, out var rel) ? Path.Combine(Workspace, rel)
        : throw StepFailure.Permanent($"the artifact '{artifact}' of an earlier step is missing from the workspace");
}

/// <param name="Artifacts">What the step produced: name → path relative to the workspace, or an absolute
/// path/URI for published results outside it.</param>
public sealed record StepOutput(IReadOnlyDictionary<string, string> Artifacts);

/// <summary>A step failure with its nature. Permanent: retrying cannot help (bad image, empty script); the
/// message is shown to people and must say what to fix. Transient: worth retrying (tool crashed, disk busy).</summary>
public sealed class StepFailure : Exception
{
    public bool Transient { get; }

    private StepFailure(string message, bool transient, Exception? inner) : base(message, inner) => Transient = transient;

    public static StepFailure Permanent(string reason, Exception? inner = null) => new(reason, false, inner);
    public static StepFailure Retryable(string reason, Exception? inner = null) => new(reason, true, inner);
}
