using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Time.Testing;
using NiusTv.Actors.Ingest;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Cloud;
using Xunit;

namespace NiusTv.Tests.Ingest;

public sealed class StatusPublisherTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit("status-publisher-tests", output)
{
    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) { } // no journal: the publisher only reads events

    /// <summary>A status topic that refuses the first <paramref name="failures"/> publish calls.</summary>
    private sealed class FlakyTopic(int failures) : IPubSub
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public ConcurrentQueue<string> Published { get; } = new();
        public string Project => "demo";

        public Task<IReadOnlyList<string>> PublishAsync(string topic, IReadOnlyList<OutgoingMessage> messages, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _calls) <= failures) throw new PubSubException("Pub/Sub publish to story-status failed (503): unavailable", 503);
            foreach (var m in messages) Published.Enqueue($"{m.Attributes["storyId"]} {m.Attributes["event"]}");
            return Task.FromResult<IReadOnlyList<string>>(messages.Select((_, i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList());
        }

        public Task EnsureTopicAsync(string topic, CancellationToken ct) => Task.CompletedTask;
        public Task EnsureSubscriptionAsync(string subscription, string topic, int ackDeadlineSeconds, CancellationToken ct, bool ordered = false) => Task.CompletedTask;
        public Task<IReadOnlyList<ReceivedMessage>> PullAsync(string subscription, int maxMessages, CancellationToken ct, bool returnImmediately = false) =>
            Task.FromResult<IReadOnlyList<ReceivedMessage>>([]);
        public Task AcknowledgeAsync(string subscription, IReadOnlyList<string> ackIds, CancellationToken ct) => Task.CompletedTask;
        public Task ModifyAckDeadlineAsync(string subscription, IReadOnlyList<string> ackIds, int seconds, CancellationToken ct) => Task.CompletedTask;
    }

    private static StoryEventPersisted Cancelled(string story) =>
        new(new StoryEvents.Cancelled(story, 1, "editor", DateTimeOffset.UnixEpoch), StoryState.Empty(story), StoryState.Empty(story), "node-a");

    [Fact]
    public async Task A_failed_publish_is_retried_on_the_clock_before_anything_newer_so_each_change_reaches_the_topic_in_order()
    {
        var time = new FakeTimeProvider();
        var topic = new FlakyTopic(failures: 2);
        var publisher = Sys.ActorOf(StatusPublisher.Create(topic, time: time));

        publisher.Tell(Cancelled("story-a"));
        await AwaitConditionAsync(() => Task.FromResult(topic.Calls == 1), TimeSpan.FromSeconds(10));
        publisher.Tell(Cancelled("story-b")); // newer: must wait behind story-a's retries

        // The backoff runs on the fake clock: each advance lets the waiting retry go (the longest wait is 30 s).
        await AwaitConditionAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(30));
            return Task.FromResult(topic.Published.Count == 2);
        }, TimeSpan.FromSeconds(10));

        Assert.Equal(["story-a cancelled", "story-b cancelled"], topic.Published.ToArray());
        Assert.Equal(4, topic.Calls); // two refusals, story-a, then story-b
    }
}
