using System.Collections.Concurrent;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Time.Testing;
using NiusTv.Actors.Ingest;
using NiusTv.Actors.Stories;
using NiusTv.Steps;
using NiusTv.Steps.Cloud;
using NiusTv.Steps.Stories;
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

    /// <summary>A story's state through publish and completion, with publish having put each file where
    /// <paramref name="published"/> says (artifact key → path), as the journal would replay it.</summary>
    private static (StoryEvents.Completed Completed, StoryState After) CompletedStory(Story story, params (string Key, string Path)[] published)
    {
        var at = DateTimeOffset.UnixEpoch;
        var state = StoryState.Empty(story.Id)
            .Apply(new StoryEvents.Accepted(story.Id, 1, story.ToCanonicalJson(), story.ContentHash(), ["publish"], at))
            .Apply(new StoryEvents.StepStarted(story.Id, 1, "publish", 1, "node-a", at))
            .Apply(new StoryEvents.StepCompleted(story.Id, 1, "publish", 1, "local",
                published.Select(p => new ArtifactRecord(p.Key, p.Path, "", 0)).ToList(), at));
        // The story's own decision, so the message's video and poster are what the actor would journal.
        var completed = Assert.IsType<StoryEvents.Completed>(state.Advance("node-a", at));
        return (completed, state.Apply(completed));
    }

    private static JsonElement DetailsOf(OutgoingMessage? message)
    {
        Assert.NotNull(message);
        Assert.Equal("completed", message.Attributes["event"]);
        return JsonDocument.Parse(message.Data).RootElement.GetProperty("details");
    }

    [Fact]
    public void A_completed_story_with_renditions_names_every_renditions_video_and_poster_and_keeps_the_first_as_its_video()
    {
        var story = new Story("ferry", "Ferry returns", ["The ferry runs again."], [], "default", "default", StoryPriority.Normal,
            new StoryOutput(640, 360, 25), Renditions: [new("landscape", new(640, 360, 25)), new("portrait", new(360, 640, 30))]);
        var (completed, after) = CompletedStory(story,
            ("renditions/landscape/video.mp4", "/out/videos/ferry-landscape.mp4"), ("renditions/landscape/poster.jpg", "/out/videos/ferry-landscape.jpg"),
            ("renditions/portrait/video.mp4", "/out/videos/ferry-portrait.mp4"), ("renditions/portrait/poster.jpg", "/out/videos/ferry-portrait.jpg"));

        var details = DetailsOf(StatusPublisher.ToStatus(completed, after));

        Assert.Equal("/out/videos/ferry-landscape.mp4", details.GetProperty("video").GetString());
        Assert.Equal("/out/videos/ferry-landscape.jpg", details.GetProperty("poster").GetString());
        Assert.Equal(
            ["landscape 640x360@25 /out/videos/ferry-landscape.mp4 /out/videos/ferry-landscape.jpg",
             "portrait 360x640@30 /out/videos/ferry-portrait.mp4 /out/videos/ferry-portrait.jpg"],
            details.GetProperty("renditions").EnumerateArray().Select(r =>
                $"{r.GetProperty("name").GetString()} {r.GetProperty("width").GetInt32()}x{r.GetProperty("height").GetInt32()}@{r.GetProperty("fps").GetInt32()} " +
                $"{r.GetProperty("video").GetString()} {r.GetProperty("poster").GetString()}"));
    }

    [Fact]
    public void A_completed_single_output_story_says_only_its_video_and_poster_as_before_renditions()
    {
        var story = new Story("harbour", "Harbour reopens", ["The harbour reopened."], [], "default", "default", StoryPriority.Normal, new StoryOutput(640, 360, 25));
        var (completed, after) = CompletedStory(story, ("video.mp4", "/out/videos/harbour.mp4"), ("poster.jpg", "/out/videos/harbour.jpg"));

        var details = DetailsOf(StatusPublisher.ToStatus(completed, after));

        Assert.Equal(["poster /out/videos/harbour.jpg", "video /out/videos/harbour.mp4"],
            details.EnumerateObject().Select(p => $"{p.Name} {p.Value.GetString()}").Order());
    }
}
