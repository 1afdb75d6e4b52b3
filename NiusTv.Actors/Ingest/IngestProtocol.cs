namespace NiusTv.Actors.Ingest;

/// <param name="MaxOutstanding">stories pulled but not yet acknowledged, per node: a backlog waits in the
/// subscription (where another node can take it) instead of piling up here.</param>
/// <param name="AckDeadlineSeconds">the subscription's deadline; outstanding messages are extended at a third of it.</param>
/// <param name="HandOverTimeout">how long the StoryActor may take to persist; past it the message is nacked.</param>
/// <param name="HandOverDelay">test hook only (Ingest:HandOverDelaySeconds): waits between pull and hand-over so a
/// test can kill the node while a message is pulled but not yet persisted. Zero in production.</param>
/// <param name="PullGuard">how long a pull may go unanswered before its connection is taken for dead; far longer
/// than any server holds a long poll, because a pull given up while the server still holds it swallows messages.</param>
/// <param name="NodeCheck">what this node can do for a story (its presenters and voices); a story it refuses is
/// dead-lettered with the reason, like an invalid one.</param>
public sealed record IngestSettings(
    string Subscription = Steps.Cloud.PubSubNames.WorkersSubscription,
    string Topic = Steps.Cloud.PubSubNames.StoriesTopic,
    string DeadLetterTopic = Steps.Cloud.PubSubNames.DeadLetterTopic,
    int MaxOutstanding = 4,
    int AckDeadlineSeconds = 30,
    TimeSpan HandOverTimeout = default,
    TimeSpan HandOverDelay = default,
    TimeSpan PullGuard = default,
    Func<Steps.Stories.Story, IReadOnlyList<Steps.Stories.StoryError>>? NodeCheck = null)
{
    public TimeSpan EffectivePullGuard => PullGuard > TimeSpan.Zero ? PullGuard : TimeSpan.FromMinutes(5);

    public TimeSpan EffectiveHandOverTimeout => HandOverTimeout > TimeSpan.Zero ? HandOverTimeout : TimeSpan.FromSeconds(20);
}

public static class IngestQueries
{
    public sealed record GetIngestStats
    {
        public static readonly GetIngestStats Instance = new();
    }
}

/// <summary>A rejected message as operators see it: what Pub/Sub called it, when, and why.</summary>
public sealed record DeadLetter(string MessageId, string? StoryId, string Reason, DateTimeOffset At);

/// <param name="Accepted">messages that became a new revision (first revisions included).</param>
/// <param name="Revisions">of those, revisions after the first (changed content for a known id).</param>
/// <param name="Duplicates">same id, same content: acknowledged, nothing else.</param>
/// <param name="Nacked">handed back for redelivery (hand-over failed or the node stopped).</param>
/// <param name="PullWaiting">a long poll is open at the server; false while the node is full (flow control) or retrying.</param>
public sealed record IngestStats(string Subscription, int MaxOutstanding, int Outstanding, long Received, long Accepted,
    long Duplicates, long Revisions, long Rejected, long Nacked, IReadOnlyList<DeadLetter> RecentDeadLetters, bool PullWaiting = false);
