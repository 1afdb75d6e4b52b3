namespace NiusTv.Steps.Cloud;

/// <summary>How many stories wait to be taken by a worker. Production reads Cloud Monitoring's
/// <c>pubsub.googleapis.com/subscription/num_undelivered_messages</c> for the `stories-workers` subscription (it lags
/// by about a minute, which a policy that scales on minutes can afford); the Pub/Sub emulator has no such count, so
/// the sources here count directly.</summary>
public interface IBacklog
{
    Task<int> WaitingAsync(CancellationToken ct);
    string Describe { get; }
}

/// <summary>Counts the messages waiting in a subscription by pulling them with a short wait and nacking each at once,
/// so they stay. Point it at a subscription whose messages leave when a story is taken: the workers' own
/// `stories-workers` (a peek then delays a story by one redelivery and adds one delivery attempt, which counts towards
/// the dead-letter limit; peek no more often than every 30 s), or, when the cluster is down, any subscription on the
/// stories topic that nothing else reads.</summary>
/// <param name="pullWait">how long one count may keep pulling.</param>
public sealed class PeekSubscriptionBacklog(IPubSub pubsub, string subscription, TimeSpan pullWait) : IBacklog
{
    public string Describe => $"peek subscription {subscription} in {pubsub.Project}";

    public async Task<int> WaitingAsync(CancellationToken ct)
    {
        var seen = new HashSet<string>();
        var ackIds = new List<string>();
        try
        {
            // returnImmediately, not a cancelled long poll: the server would still hand an abandoned poll the next
            // messages, hiding them from everyone for an ack deadline. The real service may answer an immediate pull
            // with fewer messages than wait, so this is a lower bound there (the emulator answers with all of them).
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(pullWait);
            while (!deadline.IsCancellationRequested)
            {
                var batch = await pubsub.PullAsync(subscription, 1000, ct, returnImmediately: true);
                ackIds.AddRange(batch.Select(m => m.AckId));
                if (batch.Count(m => seen.Add(m.MessageId)) == 0) break;
            }
        }
        finally
        {
            // Nack at once: the workers, and the next count, must see them again.
            if (ackIds.Count > 0) await pubsub.ModifyAckDeadlineAsync(subscription, ackIds, 0, CancellationToken.None);
        }
        return seen.Count;
    }
}

/// <summary>The count in a file (one integer), written by whatever knows it: a cron job reading Cloud Monitoring, or
/// an operator. A missing file counts as none waiting.</summary>
public sealed class FileBacklog(string path) : IBacklog
{
    public string Describe => "count file " + path;

    public async Task<int> WaitingAsync(CancellationToken ct)
    {
        if (!File.Exists(path)) return 0;
        var text = (await File.ReadAllTextAsync(path, ct)).Trim();
        return int.TryParse(text, out var n) && n >= 0 ? n
            : throw new FormatException($"the backlog count file {path} holds '{text}', not a count of stories");
    }
}
