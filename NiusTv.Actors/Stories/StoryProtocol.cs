using NiusTv.Steps.Stories;

namespace NiusTv.Actors.Stories;

/// <summary>Every message routed to a StoryActor through the shard region carries the story id.</summary>
public interface IStoryMessage
{
    string StoryId { get; }
}

public static class StoryCommands
{
    /// <summary>Accept a validated story. Replied to with <see cref="PublishResult"/> only after the revision is
    /// persisted — the point after which ingest may acknowledge its message.</summary>
    /// <remarks>One constructor only: it crosses nodes through the JSON serializer, which cannot choose between two.</remarks>
    /// <param name="NotAfter">when the sender stops waiting (the admin endpoint answers 503 then): a publish that
    /// reaches the story later, say after the shard held it through a journal outage, is not applied, so what was
    /// refused stays refused. Null for Pub/Sub, where a late apply is the redelivery the message gets anyway.</param>
    public sealed record Publish(Story Story, DateTimeOffset? NotAfter = null) : IStoryMessage
    {
        public string StoryId => Story.Id;
    }

    /// <param name="IsNewRevision">false when the same content was already accepted (a redelivery: no-op).</param>
    public sealed record PublishResult(string StoryId, int Revision, bool IsNewRevision, string State);

    public sealed record Cancel(string StoryId, string Reason) : IStoryMessage;

    public sealed record CancelResult(string StoryId, bool Cancelled, string State);

    /// <param name="FromStep">null: the failed step, else the first step without a result, else the first.</param>
    public sealed record Retry(string StoryId, string? FromStep, string Reason) : IStoryMessage;

    /// <param name="Error">why the retry was refused; null when it was persisted.</param>
    public sealed record RetryResult(string StoryId, int Revision, bool Retried, string? FromStep, string State, string? Error);

    /// <summary>Starts the story's actor if it is not running; no reply. A story that was told to stop while a
    /// command queued behind the stop made it active again sends this through the region to itself, so the shard
    /// starts it again at once and the work continues.</summary>
    public sealed record Wake(string StoryId) : IStoryMessage;

    /// <summary>From a node's workspace janitor: remove what the retention policy says is past its time. No reply,
    /// except to a janitor of another node (<paramref name="AskedByNode"/>), whose folder is a leftover of a shard
    /// that moved: it is told <see cref="WorkspaceLivesElsewhere"/>.</summary>
    public sealed record CleanWorkspace(string StoryId, string? AskedByNode = null) : IStoryMessage;

    /// <summary>The story runs on <paramref name="Node"/>; the asking node's folder for it is no longer used.</summary>
    public sealed record WorkspaceLivesElsewhere(string StoryId, string Node);
}

public static class StoryQueries
{
    public sealed record GetStory(string StoryId) : IStoryMessage;

    public sealed record StoryNotFound(string StoryId);
}

/// <summary>Published on the node's event stream after each story event is persisted, for observers (metrics,
/// traces) that watch the stories without any say in them. Not published during recovery: replayed history was
/// observed when it happened.</summary>
public sealed record StoryEventPersisted(IStoryEvent Event, StoryState Before, StoryState After, string Node);
