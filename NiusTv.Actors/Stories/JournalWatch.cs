using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace NiusTv.Actors.Stories;

/// <summary>The journal refused to store an event (disk full, database down). Raised by the actor that tried, with
/// the cause in a sentence, so that whoever asked is answered at once and readiness can say why.</summary>
public sealed class JournalUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Published on the node's event stream when a story could not write to the journal.</summary>
public sealed record StoryJournalFailed(string StoryId, string Reason, DateTimeOffset At);

/// <summary>What the probe writes: one small event, older ones deleted behind it.</summary>
public sealed record JournalProbeWritten(DateTimeOffset At);

public static class JournalWatchProtocol
{
    public sealed record GetJournalStatus
    {
        public static readonly GetJournalStatus Instance = new();
    }

    /// <summary>Write a probe now and answer with the status it leads to (a publish that got no answer asks this).</summary>
    public sealed record ProbeNow
    {
        public static readonly ProbeNow Instance = new();
    }

    /// <param name="Writable">false from a failed write until a write succeeds again.</param>
    /// <param name="Problem">why not, in a sentence; null when writable.</param>
    public sealed record JournalStatus(bool Writable, DateTimeOffset? LastWrite, string? Problem, DateTimeOffset? Since);
}

/// <summary>Knows whether this node can write its journal now: a node that cannot must not say it is ready, nor
/// accept stories it cannot keep. Every story event written proves the journal works. A real write (a read-only
/// check such as SELECT 1 still passes on a full disk) tests it at start, and every <c>interval</c> from a failed
/// write until one succeeds: probing a healthy journal would only fill it.</summary>
public sealed class JournalWatch : ReceiveActor, IWithTimers
{
    private sealed record Probe;
    private sealed record ProbeResult(IActorRef Probe, string? Problem);

    private readonly string _persistenceId;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _timeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _probe;
    private readonly List<IActorRef> _awaitingProbe = [];
    private DateTimeOffset? _lastWrite;
    private string? _problem;
    private DateTimeOffset? _since;

    public ITimerScheduler Timers { get; set; } = null!;

    public JournalWatch(string node, TimeSpan interval, TimeSpan timeout)
    {
        _persistenceId = "journal-probe-" + new string(node.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
        _interval = interval;
        _timeout = timeout;

        Receive<StoryEventPersisted>(_ => Healthy());
        Receive<StoryJournalFailed>(f =>
        {
            Unhealthy(f.Reason);
            Self.Tell(new Probe());
        });
        Receive<Probe>(_ => StartProbe());
        Receive<JournalWatchProtocol.ProbeNow>(_ =>
        {
            _awaitingProbe.Add(Sender);
            StartProbe();
        });
        Receive<ProbeResult>(r =>
        {
            if (!Equals(r.Probe, _probe)) return;
            Context.Unwatch(_probe);
            _probe = null;
            Timers.Cancel("probe-timeout");
            if (r.Problem is null) Healthy();
            else Unhealthy(r.Problem);
            var status = new JournalWatchProtocol.JournalStatus(_problem is null, _lastWrite, _problem, _since);
            foreach (var waiting in _awaitingProbe) waiting.Tell(status);
            _awaitingProbe.Clear();
        });
        Receive<Terminated>(t =>
        {
            if (Equals(t.ActorRef, _probe)) Self.Tell(new ProbeResult(t.ActorRef, "the journal probe stopped without confirming its write"));
        });
        Receive<JournalWatchProtocol.GetJournalStatus>(_ =>
            Sender.Tell(new JournalWatchProtocol.JournalStatus(_problem is null, _lastWrite, _problem, _since)));
    }

    public static Props Create(string node, TimeSpan? interval = null, TimeSpan? timeout = null) =>
        Props.Create(() => new JournalWatch(node, interval ?? TimeSpan.FromSeconds(10), timeout ?? TimeSpan.FromSeconds(10)));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(StoryEventPersisted));
        Context.System.EventStream.Subscribe(Self, typeof(StoryJournalFailed));
        Self.Tell(new Probe());
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void StartProbe()
    {
        if (_probe is not null) return;
        _probe = Context.ActorOf(Props.Create(() => new JournalProbe(_persistenceId)));
        Context.Watch(_probe);
        Timers.StartSingleTimer("probe-timeout", new ProbeResult(_probe, $"the journal did not confirm a write within {_timeout.TotalSeconds:0} s"), _timeout);
    }

    private void Healthy()
    {
        if (_problem is not null) _log.Info("journal: writable again");
        Timers.Cancel("probe");
        _problem = null;
        _since = null;
        _lastWrite = DateTimeOffset.UtcNow;
    }

    private void Unhealthy(string problem)
    {
        if (_problem is null)
        {
            _log.Warning("journal: cannot write: {0}", problem);
            _since = DateTimeOffset.UtcNow;
            Timers.StartPeriodicTimer("probe", new Probe(), _interval);
        }
        _problem = problem;
    }

    /// <summary>One write, then it deletes the writes before it and stops. A failed write stops a persistent actor:
    /// the reason goes to the watch first.</summary>
    private sealed class JournalProbe : ReceivePersistentActor
    {
        private readonly string _id;

        public JournalProbe(string id)
        {
            _id = id;
            Recover<JournalProbeWritten>(_ => { });
            Recover<RecoveryCompleted>(_ => Persist(new JournalProbeWritten(DateTimeOffset.UtcNow), _ =>
            {
                Context.Parent.Tell(new ProbeResult(Self, null));
                if (LastSequenceNr > 1) DeleteMessages(LastSequenceNr - 1);
                else Context.Stop(Self);
            }));
            Command<DeleteMessagesSuccess>(_ => Context.Stop(Self));
            Command<DeleteMessagesFailure>(_ => Context.Stop(Self));
        }

        public override string PersistenceId => _id;

        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        {
            Context.Parent.Tell(new ProbeResult(Self, "the journal refused a write: " + cause.GetBaseException().Message));
            base.OnPersistFailure(cause, @event, sequenceNr);
        }

        protected override void OnRecoveryFailure(Exception reason, object? message = null)
        {
            Context.Parent.Tell(new ProbeResult(Self, "the journal cannot be read: " + reason.GetBaseException().Message));
            base.OnRecoveryFailure(reason, message);
        }
    }
}
