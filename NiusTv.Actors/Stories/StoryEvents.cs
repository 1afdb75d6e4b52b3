namespace NiusTv.Actors.Stories;

/// <summary>Marker for everything the StoryActor journals. Bound to <see cref="StoryEventSerializer"/>, never to
/// Akka's default JSON: these events outlive the code that wrote them.</summary>
public interface IStoryEvent
{
    string StoryId { get; }
    int Revision { get; }
    DateTimeOffset At { get; }
}

/// <summary>A file a step produced. <see cref="Path"/> is relative to the revision's workspace, or an absolute
/// path/URI for results published outside it (those carry no checksum check on resume).</summary>
public sealed record ArtifactRecord(string Name, string Path, string Sha256, long Bytes)
{
    public bool IsInWorkspace => !System.IO.Path.IsPathRooted(Path) && !Path.Contains("://", StringComparison.Ordinal);
}

public static class StoryEvents
{
    /// <param name="StoryJson">The story's canonical JSON: the revision can always be rebuilt from the journal.</param>
    /// <param name="Pipeline">The steps this revision runs, fixed when it is accepted so that later code with more
    /// steps still replays old revisions as they ran.</param>
    public sealed record Accepted(string StoryId, int Revision, string StoryJson, string ContentHash,
        IReadOnlyList<string> Pipeline, DateTimeOffset At) : IStoryEvent;

    public sealed record StepStarted(string StoryId, int Revision, string Step, int Attempt, string Node,
        DateTimeOffset At) : IStoryEvent;

    public sealed record StepCompleted(string StoryId, int Revision, string Step, int Attempt, string Backend,
        IReadOnlyList<ArtifactRecord> Artifacts, DateTimeOffset At) : IStoryEvent;

    /// <param name="RetryAt">When the next attempt is due; null when the failure stops the story.</param>
    public sealed record StepFailed(string StoryId, int Revision, string Step, int Attempt, string Backend,
        string Reason, bool Transient, DateTimeOffset? RetryAt, DateTimeOffset At) : IStoryEvent;

    /// <summary>The results of <see cref="Step"/> (and so of every later step) are no longer usable on this node:
    /// the workspace is gone (node lost, disk wiped) or a file no longer matches its checksum. The story runs again
    /// from that step.</summary>
    public sealed record ResultsLost(string StoryId, int Revision, string Step, string Reason, string Node,
        DateTimeOffset At) : IStoryEvent;

    /// <summary>The workspace of this revision was removed by the node's retention policy (the video stays published).
    /// The story's results are still in the journal for people to read; a retry rebuilds them from <c>init</c>.</summary>
    public sealed record ResultsCleaned(string StoryId, int Revision, string Reason, string Node, DateTimeOffset At) : IStoryEvent;

    public sealed record Completed(string StoryId, int Revision, string Video, string Poster, DateTimeOffset At) : IStoryEvent;

    public sealed record Failed(string StoryId, int Revision, string Step, string Reason, DateTimeOffset At) : IStoryEvent;

    public sealed record Cancelled(string StoryId, int Revision, string Reason, DateTimeOffset At) : IStoryEvent;

    /// <summary>An operator asked to run <see cref="FromStep"/> and every later step again, on the same revision:
    /// the earlier steps' results are reused, the reset steps keep their timeline so the new attempts show as
    /// attempts 2, 3, ….</summary>
    public sealed record RetryRequested(string StoryId, int Revision, string FromStep, string Reason, DateTimeOffset At) : IStoryEvent;
}
