using System.Text;
using Akka.Actor;
using Akka.Event;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Cloud;
using NiusTv.Steps.Stories;

namespace NiusTv.Actors.Ingest;

/// <summary>Pulls stories from the subscription and hands each to its StoryActor. At-least-once in: a message is
/// acknowledged only after the StoryActor replied, which it does after persisting. Invalid messages are acknowledged
/// and republished to the dead-letter topic with a reason, so a poison message never blocks the subscription.</summary>
public sealed class IngestActor : ReceiveActor, IWithTimers
{
    public const int RecentDeadLetterCount = 50;

    private sealed record Ready;
    private sealed record SetupFailed(Exception Error);
    private sealed record Pull;
    private sealed record Pulled(IReadOnlyList<ReceivedMessage> Messages);
    private sealed record PullFailed(Exception Error);
    private sealed record HandedOver(string AckId, StoryCommands.PublishResult Result);
    private sealed record HandOverFailed(string AckId, string Reason);
    private sealed record DeadLettered(string AckId, DeadLetter Letter);
    private sealed record ExtendDeadlines;

    private sealed record Pending(string MessageId, string? StoryId, DateTimeOffset PulledAt, DateTimeOffset PublishedAt);

    private readonly IPubSub _pubsub;
    private readonly IActorRef _stories;
    private readonly IngestSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, Pending> _outstanding = new();
    private readonly LinkedList<DeadLetter> _deadLetters = new();
    private bool _pulling;
    private long _received, _accepted, _duplicates, _revisions, _rejected, _nacked;

    public ITimerScheduler Timers { get; set; } = null!;

    public IngestActor(IPubSub pubsub, IActorRef stories, IngestSettings settings)
    {
        _pubsub = pubsub;
        _stories = stories;
        _settings = settings;

        Receive<Ready>(_ =>
        {
            _log.Info("ingest: pulling {0} in project {1}, at most {2} outstanding", _settings.Subscription, _pubsub.Project, _settings.MaxOutstanding);
            Timers.StartPeriodicTimer("extend", new ExtendDeadlines(), TimeSpan.FromSeconds(Math.Max(1, _settings.AckDeadlineSeconds / 3)));
            PullMore();
        });
        Receive<SetupFailed>(f =>
        {
            _log.Warning("ingest: cannot set up Pub/Sub ({0}); trying again in 5 s", f.Error.Message);
            Timers.StartSingleTimer("setup", new Retry(), TimeSpan.FromSeconds(5));
        });
        Receive<Retry>(_ => Setup());
        Receive<Pull>(_ => PullMore());
        Receive<Pulled>(OnPulled);
        Receive<PullFailed>(f =>
        {
            _pulling = false;
            _log.Warning("ingest: pull failed ({0}); trying again in 2 s", f.Error.Message);
            Timers.StartSingleTimer("pull", new Pull(), TimeSpan.FromSeconds(2));
        });
        Receive<HandedOver>(OnHandedOver);
        Receive<HandOverFailed>(f =>
        {
            if (!_outstanding.Remove(f.AckId, out var pending)) return;
            _nacked++;
            _log.Warning("ingest: message {0} (story {1}) not handed over ({2}); nacked for redelivery", pending.MessageId, pending.StoryId, f.Reason);
            Nack([f.AckId]);
            PullMore();
        });
        Receive<DeadLettered>(d =>
        {
            if (!_outstanding.Remove(d.AckId)) return;
            _rejected++;
            _deadLetters.AddFirst(d.Letter);
            while (_deadLetters.Count > RecentDeadLetterCount) _deadLetters.RemoveLast();
            _log.Warning("ingest: message {0} rejected to {1}: {2}", d.Letter.MessageId, _settings.DeadLetterTopic, d.Letter.Reason);
            Ack(d.AckId);
            PullMore();
        });
        Receive<ExtendDeadlines>(_ =>
        {
            if (_outstanding.Count == 0) return;
            _pubsub.ModifyAckDeadlineAsync(_settings.Subscription, _outstanding.Keys.ToList(), _settings.AckDeadlineSeconds, _stopping.Token)
                .ContinueWith(t => { if (t.IsFaulted) _log.Warning("ingest: extending deadlines failed: {0}", t.Exception!.GetBaseException().Message); },
                    TaskContinuationOptions.ExecuteSynchronously);
        });
        Receive<IngestQueries.GetIngestStats>(_ => Sender.Tell(new IngestStats(_settings.Subscription, _settings.MaxOutstanding,
            _outstanding.Count, _received, _accepted, _duplicates, _revisions, _rejected, _nacked, _deadLetters.ToList(), _pulling)));
    }

    private sealed record Retry;

    protected override void PreStart() => Setup();

    private void Setup()
    {
        var ct = _stopping.Token;
        async Task<object> Run()
        {
            try
            {
                foreach (var topic in new[] { _settings.Topic, _settings.DeadLetterTopic, PubSubNames.StatusTopic })
                    await _pubsub.EnsureTopicAsync(topic, ct);
                await _pubsub.EnsureSubscriptionAsync(_settings.Subscription, _settings.Topic, _settings.AckDeadlineSeconds, ct);
                return new Ready();
            }
            catch (Exception e) when (e is not OperationCanceledException) { return new SetupFailed(e); }
        }
        Run().PipeTo(Self);
    }

    private void PullMore()
    {
        var room = _settings.MaxOutstanding - _outstanding.Count;
        if (_pulling || room <= 0 || _stopping.IsCancellationRequested) return;
        _pulling = true;
        var pubsub = _pubsub;
        var subscription = _settings.Subscription;
        var guard = _settings.EffectivePullGuard;
        var stopping = _stopping.Token;
        var log = _log;
        async Task<object> Run()
        {
            // A long poll that only the server ends: it answers the moment a message arrives, or after a while with
            // nothing (the emulator after about 90 s). Cancelling it here would not end it there: the server would
            // deliver the next messages into the abandoned request, where they wait out their ack deadline (the
            // intake stalled for minutes that way). So it is not cancelled, not even at stop; what it brings after
            // the actor stopped is handed straight back. The guard only catches a connection that died silently.
            using var lost = new CancellationTokenSource(guard);
            try
            {
                var messages = await pubsub.PullAsync(subscription, room, lost.Token);
                if (!stopping.IsCancellationRequested) return new Pulled(messages);
                if (messages.Count > 0)
                {
                    log.Info("ingest: stopped while pulling; nacking {0} message(s) that arrived", messages.Count);
                    await pubsub.ModifyAckDeadlineAsync(subscription, messages.Select(m => m.AckId).ToList(), 0, CancellationToken.None);
                }
                return new Pulled([]);
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested)
            {
                return new PullFailed(new TimeoutException($"the pull got no answer in {guard.TotalSeconds:0} s"));
            }
            catch (Exception e) { return new PullFailed(e); }
        }
        Run().PipeTo(Self);
    }

    private void OnPulled(Pulled pulled)
    {
        _pulling = false;
        foreach (var m in pulled.Messages)
        {
            _received++;
            var parsed = Validate(m);
            _outstanding[m.AckId] = new Pending(m.MessageId, parsed.Story?.Id ?? m.Attributes.GetValueOrDefault("storyId"), DateTimeOffset.UtcNow, m.PublishTime);
            if (parsed.Story is { } story)
            {
                _log.Info("ingest: pulled message {0} for story {1}", m.MessageId, story.Id);
                HandOver(m.AckId, story);
            }
            else DeadLetterIt(m, parsed.Reason!);
        }
        PullMore();
    }

    /// <summary>The same validation as `nius publish`, plus the envelope's schema version.</summary>
    private (Story? Story, string? Reason) Validate(ReceivedMessage m)
    {
        if (m.Attributes.TryGetValue("schemaVersion", out var version) && version != Story.SchemaVersion.ToString())
            return (null, $"attributes.schemaVersion: version '{version}' is not supported (this node reads {Story.SchemaVersion})");
        var parsed = StoryParser.Parse(m.Data);
        if (!parsed.IsValid) return (null, string.Join("; ", parsed.Errors.Take(10)));
        var refused = _settings.NodeCheck?.Invoke(parsed.Story!) ?? [];
        return refused.Count == 0 ? (parsed.Story, null) : (null, string.Join("; ", refused));
    }

    private void HandOver(string ackId, Story story)
    {
        var delay = _settings.HandOverDelay;
        var timeout = _settings.EffectiveHandOverTimeout;
        var stories = _stories;
        var ct = _stopping.Token;
        async Task<object> Run()
        {
            try
            {
                if (delay > TimeSpan.Zero) await Task.Delay(delay, ct);
                var result = await stories.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(story), timeout, ct);
                return new HandedOver(ackId, result);
            }
            catch (Exception e) { return new HandOverFailed(ackId, e is OperationCanceledException or AskTimeoutException ? "no reply in time" : e.Message); }
        }
        Run().PipeTo(Self);
    }

    private void OnHandedOver(HandedOver h)
    {
        if (!_outstanding.Remove(h.AckId, out var pending)) return;
        var r = h.Result;
        if (!r.IsNewRevision) _duplicates++;
        else
        {
            _accepted++;
            if (r.Revision > 1) _revisions++;
        }
        var now = DateTimeOffset.UtcNow;
        _log.Info("ingest: message {0} handed over: story {1} revision {2}{3}, {4:0} ms after pull, {5:0} ms after publish", pending.MessageId, r.StoryId,
            r.Revision, r.IsNewRevision ? "" : " (unchanged, no-op)", (now - pending.PulledAt).TotalMilliseconds, (now - pending.PublishedAt).TotalMilliseconds);
        Ack(h.AckId);
        PullMore();
    }

    private void DeadLetterIt(ReceivedMessage m, string reason)
    {
        // Keep the editor's attributes so the dead letter can be traced back and re-sent after a fix.
        var attributes = new Dictionary<string, string>(m.Attributes) { ["reason"] = Truncate(reason, 1024), ["originalMessageId"] = m.MessageId };
        var letter = new DeadLetter(m.MessageId, m.Attributes.GetValueOrDefault("storyId"), reason, DateTimeOffset.UtcNow);
        var ackId = m.AckId;
        var ct = _stopping.Token;
        async Task<object> Run()
        {
            try
            {
                await _pubsub.PublishAsync(_settings.DeadLetterTopic, [new OutgoingMessage(m.Data, attributes)], ct);
                return new DeadLettered(ackId, letter);
            }
            // Not acknowledged without its dead letter: it comes back and is rejected again.
            catch (Exception e) { return new HandOverFailed(ackId, "the dead letter could not be published: " + e.Message); }
        }
        Run().PipeTo(Self);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private void Ack(string ackId) =>
        _pubsub.AcknowledgeAsync(_settings.Subscription, [ackId], CancellationToken.None)
            // A lost ack means one redelivery, which the StoryActor answers as a no-op.
            .ContinueWith(t => { if (t.IsFaulted) _log.Warning("ingest: acknowledge failed: {0}", t.Exception!.GetBaseException().Message); },
                TaskContinuationOptions.ExecuteSynchronously);

    private void Nack(IReadOnlyList<string> ackIds) =>
        _pubsub.ModifyAckDeadlineAsync(_settings.Subscription, ackIds, 0, CancellationToken.None)
            .ContinueWith(t => { if (t.IsFaulted) _log.Warning("ingest: nack failed: {0}", t.Exception!.GetBaseException().Message); },
                TaskContinuationOptions.ExecuteSynchronously);

    protected override void PostStop()
    {
        _stopping.Cancel();
        if (_outstanding.Count > 0)
        {
            // The node is going away: hand the messages back now rather than after their deadline. Waiting briefly
            // here is deliberate — the process may exit right after this actor stops.
            _log.Info("ingest: stopping; nacking {0} outstanding message(s)", _outstanding.Count);
            try { _pubsub.ModifyAckDeadlineAsync(_settings.Subscription, _outstanding.Keys.ToList(), 0, CancellationToken.None).Wait(TimeSpan.FromSeconds(3)); }
            catch (AggregateException e) { _log.Warning("ingest: nack at stop failed: {0}", e.GetBaseException().Message); }
        }
        // _stopping is not disposed: hand-overs still in flight may read its token after this point.
    }

    public static Props Create(IPubSub pubsub, IActorRef stories, IngestSettings settings) =>
        Props.Create(() => new IngestActor(pubsub, stories, settings));
}
