using System.Text;
using NiusTv.Steps.Cloud;
using Xunit;

namespace NiusTv.Tests.Ingest;

[Collection(PubSubCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PubSubClientTests(PubSubEmulator emulator)
{
    private static CancellationToken Timeout(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task Creates_resources_idempotently_and_round_trips_attributes_through_publish_pull_and_ack()
    {
        using var client = emulator.Client("client-roundtrip");
        var ct = Timeout();
        for (var i = 0; i < 2; i++) // the second round finds everything already there
        {
            await client.EnsureTopicAsync("topic-a", ct);
            await client.EnsureSubscriptionAsync("sub-a", "topic-a", 10, ct);
        }
        var ids = await client.PublishAsync("topic-a", [new OutgoingMessage("héllo", new Dictionary<string, string> { ["storyId"] = "a-1", ["schemaVersion"] = "1" })], ct);
        Assert.Single(ids);

        var pulled = await client.PullAsync("sub-a", 10, ct);
        var m = Assert.Single(pulled);
        Assert.Equal(ids[0], m.MessageId);
        Assert.Equal("héllo", Encoding.UTF8.GetString(m.Data));
        Assert.Equal("a-1", m.Attributes["storyId"]);
        Assert.Equal("1", m.Attributes["schemaVersion"]);
        await client.AcknowledgeAsync("sub-a", [m.AckId], ct);

        await client.PublishAsync("topic-a", [new OutgoingMessage("second", new Dictionary<string, string>())], ct);
        var next = Assert.Single(await client.PullAsync("sub-a", 10, ct));
        Assert.Equal("second", Encoding.UTF8.GetString(next.Data)); // the acknowledged one did not come back
        await client.AcknowledgeAsync("sub-a", [next.AckId], ct);
    }

    [Fact]
    public async Task A_zero_deadline_nack_redelivers_the_message_promptly()
    {
        using var client = emulator.Client("client-nack");
        var ct = Timeout();
        await client.EnsureTopicAsync("topic-a", ct);
        await client.EnsureSubscriptionAsync("sub-a", "topic-a", 60, ct);
        await client.PublishAsync("topic-a", [new OutgoingMessage("again", new Dictionary<string, string>())], ct);
        var first = Assert.Single(await client.PullAsync("sub-a", 1, ct));
        var started = DateTime.UtcNow;
        await client.ModifyAckDeadlineAsync("sub-a", [first.AckId], 0, ct);
        var second = Assert.Single(await client.PullAsync("sub-a", 1, ct));
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "a nack must not wait for the 60 s deadline");
        await client.AcknowledgeAsync("sub-a", [second.AckId], ct);
    }

    [Fact]
    public async Task Errors_carry_the_services_status()
    {
        using var client = emulator.Client("client-errors");
        var e = await Assert.ThrowsAsync<PubSubException>(() => client.PublishAsync("no-such-topic", [new OutgoingMessage("x", new Dictionary<string, string>())], Timeout()));
        Assert.Equal(404, e.Status);
        Assert.False(e.Transient);
    }
}
