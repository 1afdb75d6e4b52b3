using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using NiusTv.Actors.Stories;
using NiusTv.Steps;
using NiusTv.Steps.Cloud;
using Polly;

namespace NiusTv.Actors.Ingest;

/// <summary>Announces every persisted state change of the stories on this node on the status topic, so the editors'
/// tools can follow them. One publish request is in flight at a time and a failed one is retried (through
/// <see cref="CloudRetry.Forever"/>) before anything newer, so each story's changes reach the topic in the order they
/// were journaled (the story id is also the ordering key, for subscriptions that want ordered delivery).</summary>
public sealed class StatusPublisher : ReceiveActor
{
    public const int MaxBatch = 100;

    private sealed record Sent(int Count);
    private sealed record SendFailed(Exception Error);

    private readonly IPubSub _pubsub;
    private readonly string _topic;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<OutgoingMessage> _queue = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ResiliencePipeline _retries;
    private bool _sending;

    public StatusPublisher(IPubSub pubsub, string topic, TimeProvider? time = null)
    {
        _pubsub = pubsub;
        _topic = topic;
        var log = _log;
        _retries = CloudRetry.Forever.Pipeline(_ => true, time, (e, delay) =>
            log.Warning("status: publishing failed ({0}); retrying in {1:0} s", e.Message, delay.TotalSeconds));
        Receive<StoryEventPersisted>(persisted =>
        {
            if (ToStatus(persisted.Event, persisted.After) is { } message) _queue.Enqueue(message);
            Send();
        });
        Receive<Sent>(s =>
        {
            for (var i = 0; i < s.Count; i++) _queue.Dequeue();
            _sending = false;
            Send();
        });
        // Only when the actor stops (the retries never give up otherwise): the queue dies with it.
        Receive<SendFailed>(f => _log.Info("status: {0} change(s) not published as the node stops ({1})", _queue.Count, f.Error.Message));
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(StoryEventPersisted));

    protected override void PostStop()
    {
        _stopping.Cancel();
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void Send()
    {
        if (_sending || _queue.Count == 0) return;
        _sending = true;
        var batch = _queue.Take(MaxBatch).ToList();
        _retries.ExecuteAsync(async ct => await _pubsub.PublishAsync(_topic, batch, ct), _stopping.Token).AsTask()
            .PipeTo(Self, success: _ => new Sent(batch.Count), failure: e => new SendFailed(e));
    }

    /// <summary>Attributes carry what a subscriber filters on; the data is a small JSON document with the details.
    /// Step starts and recoverable bookkeeping (results lost) are not state changes an editor follows.</summary>
    /// <remarks><paramref name="after"/> is the story as the event left it: a completed story with renditions names each
    /// one's video and poster (<c>renditions</c>) beside <c>video</c> and <c>poster</c>, which stay the first one's so
    /// a subscriber that predates renditions still finds a video; a single-output story's message is as it always was.</remarks>
    public static OutgoingMessage? ToStatus(IStoryEvent e, StoryState? after = null)
    {
        (string Type, object Data)? status = e switch
        {
            StoryEvents.Accepted => ("accepted", new { }),
            StoryEvents.StepCompleted c => ("step-completed", new { step = c.Step, attempt = c.Attempt }),
            StoryEvents.StepFailed { RetryAt: not null } f => ("step-failed", new { step = f.Step, attempt = f.Attempt, reason = f.Reason, retryAt = f.RetryAt }),
            StoryEvents.Completed c when after?.Story is { HasRenditions: true } story => ("completed", new
            {
                video = c.Video, poster = c.Poster,
                renditions = story.Outputs.Select(r => new
                {
                    name = r.Name, width = r.Output.Width, height = r.Output.Height, fps = r.Output.Fps,
                    video = after.PublishedOf(r.Name, Artifacts.Video), poster = after.PublishedOf(r.Name, Artifacts.Poster),
                }).ToList(),
            }),
            StoryEvents.Completed c => ("completed", new { video = c.Video, poster = c.Poster }),
            StoryEvents.Failed f => ("failed", new { step = f.Step, reason = f.Reason }),
            StoryEvents.Cancelled c => ("cancelled", new { reason = c.Reason }),
            _ => null,
        };
        if (status is not { } s) return null;
        var data = JsonSerializer.Serialize(new { storyId = e.StoryId, revision = e.Revision, @event = s.Type, at = e.At, details = s.Data });
        return new OutgoingMessage(data, new Dictionary<string, string>
        {
            ["storyId"] = e.StoryId, ["revision"] = e.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture), ["event"] = s.Type,
        }, orderingKey: e.StoryId);
    }

    public static Props Create(IPubSub pubsub, string topic = PubSubNames.StatusTopic, TimeProvider? time = null) =>
        Props.Create(() => new StatusPublisher(pubsub, topic, time));
}
