namespace NiusTv.Steps.Cloud;

/// <summary>A message to publish: raw bytes plus string attributes (Pub/Sub's own model).</summary>
/// <param name="OrderingKey">messages with the same key are delivered in publish order to subscriptions that ask for it.</param>
public sealed record OutgoingMessage(byte[] Data, IReadOnlyDictionary<string, string> Attributes, string? OrderingKey = null)
{
    public OutgoingMessage(string utf8, IReadOnlyDictionary<string, string> attributes, string? orderingKey = null)
        : this(System.Text.Encoding.UTF8.GetBytes(utf8), attributes, orderingKey) { }
}

/// <summary>A pulled message. <see cref="AckId"/> is what acknowledge and modifyAckDeadline take; it changes on
/// every delivery, <see cref="MessageId"/> does not.</summary>
public sealed record ReceivedMessage(string AckId, string MessageId, byte[] Data, IReadOnlyDictionary<string, string> Attributes,
    DateTimeOffset PublishTime, int DeliveryAttempt);

/// <summary>The names ARCHITECTURE.md fixes for the project's Pub/Sub resources.</summary>
public static class PubSubNames
{
    public const string StoriesTopic = "stories";
    public const string DeadLetterTopic = "stories-dead";
    public const string StatusTopic = "story-status";
    public const string WorkersSubscription = "stories-workers";
}

/// <summary>The subset of Pub/Sub the project uses. Every call is idempotent or safe to retry by design of the
/// service (publish may duplicate, which ingest tolerates).</summary>
public interface IPubSub
{
    string Project { get; }
    Task EnsureTopicAsync(string topic, CancellationToken ct);
    /// <param name="ordered">deliver messages with the same ordering key in publish order.</param>
    Task EnsureSubscriptionAsync(string subscription, string topic, int ackDeadlineSeconds, CancellationToken ct, bool ordered = false);
    /// <returns>the message ids, in the order given.</returns>
    Task<IReadOnlyList<string>> PublishAsync(string topic, IReadOnlyList<OutgoingMessage> messages, CancellationToken ct);
    /// <summary>Waits (long poll) for up to <paramref name="maxMessages"/>; may return none.</summary>
    /// <param name="returnImmediately">answer at once, with what is there: for counting, where an abandoned long
    /// poll would still take messages out of sight for an ack deadline.</param>
    Task<IReadOnlyList<ReceivedMessage>> PullAsync(string subscription, int maxMessages, CancellationToken ct, bool returnImmediately = false);
    Task AcknowledgeAsync(string subscription, IReadOnlyList<string> ackIds, CancellationToken ct);
    /// <summary>0 seconds is a nack: the message is redelivered promptly.</summary>
    Task ModifyAckDeadlineAsync(string subscription, IReadOnlyList<string> ackIds, int seconds, CancellationToken ct);
}

/// <summary>A Pub/Sub call that failed, with the service's own words.</summary>
public sealed class PubSubException(string message, int status) : Exception(message)
{
    public int Status { get; } = status;
    /// <summary>Worth trying again: throttling, unavailability, server errors.</summary>
    public bool Transient => Status is 429 or 408 or >= 500 or 0;
}
