using NiusTv.Steps.Cloud;
using NiusTv.Tests.Ingest;
using Xunit;

namespace NiusTv.Tests.Scaling;

[Collection(PubSubCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class BacklogTests(PubSubEmulator emulator)
{
    [Fact]
    public async Task A_peek_counts_waiting_messages_leaves_them_for_the_workers_and_sees_them_again()
    {
        using var pubsub = emulator.Client("peek-" + Guid.NewGuid().ToString("N")[..8]);
        await pubsub.EnsureTopicAsync("stories", CancellationToken.None);
        await pubsub.EnsureSubscriptionAsync("stories-workers", "stories", 30, CancellationToken.None);
        var backlog = new PeekSubscriptionBacklog(pubsub, "stories-workers", TimeSpan.FromSeconds(1));
        Assert.Equal(0, await backlog.WaitingAsync(CancellationToken.None));

        await pubsub.PublishAsync("stories", Enumerable.Range(0, 5).Select(i =>
            new OutgoingMessage(System.Text.Encoding.UTF8.GetBytes("story " + i), new Dictionary<string, string>())).ToList(), CancellationToken.None);
        Assert.Equal(5, await backlog.WaitingAsync(CancellationToken.None));
        Assert.Equal(5, await backlog.WaitingAsync(CancellationToken.None)); // nacked, so still there

        // A worker takes two: they leave the count.
        var taken = new List<ReceivedMessage>();
        while (taken.Count < 2) taken.AddRange(await pubsub.PullAsync("stories-workers", 2 - taken.Count, CancellationToken.None));
        await pubsub.AcknowledgeAsync("stories-workers", taken.Select(m => m.AckId).ToList(), CancellationToken.None);
        Assert.Equal(3, await backlog.WaitingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_count_file_is_read_and_a_missing_one_counts_none()
    {
        var path = Path.Combine(Path.GetTempPath(), "nius-backlog-" + Guid.NewGuid().ToString("N"));
        var backlog = new FileBacklog(path);
        Assert.Equal(0, await backlog.WaitingAsync(CancellationToken.None));
        await File.WriteAllTextAsync(path, "12\n");
        Assert.Equal(12, await backlog.WaitingAsync(CancellationToken.None));
        await File.WriteAllTextAsync(path, "many");
        Assert.Contains("not a count", (await Assert.ThrowsAsync<FormatException>(() => backlog.WaitingAsync(CancellationToken.None))).Message);
        File.Delete(path);
    }
}
