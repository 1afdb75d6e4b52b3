using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.DistributedData;
using Akka.Event;
using Akka.Hosting;
using Akka.Pattern;
using Akka.Persistence;
using NiusTv.Actors.Sharding;
using NiusTv.Steps.Cloud;
using static NiusTv.Actors.Scaling.ScalerEvents;

namespace NiusTv.Actors.Scaling;

public static class ScalerProtocol
{
    public sealed record GetScalingView;

    /// <summary>Measure and decide now instead of at the next tick (tests, and operators after a publish burst).</summary>
    public sealed record DecideNow;

    /// <param name="Host">the node the singleton runs on now.</param>
    /// <param name="InFlight">stories in flight across the workers, from their last load reports.</param>
    /// <param name="Target">the pool size last decided.</param>
    /// <param name="Pool">what receives the decisions: a GKE node pool, or "log only".</param>
    /// <param name="Now">the latest reason the policy gave, also when it held.</param>
    /// <param name="Decisions">the journaled history, newest last (at most <see cref="ScalerState.HistoryKept"/>).</param>
    public sealed record ScalingView(string Host, IReadOnlyList<string> Workers, int InFlight, int Waiting, int Target,
        DateTimeOffset? LastChangeAt, string Pool, string? Now, IReadOnlyList<IScalerEvent> Decisions);
}

/// <summary>What the scaler remembers: the policy's memory and the recent decisions, rebuilt from the journal.</summary>
public sealed record ScalerState(ScalingMemory Memory, IReadOnlyList<IScalerEvent> History)
{
    public const int HistoryKept = 50;
    public static readonly ScalerState Empty = new(ScalingMemory.Initial, []);

    public ScalerState Apply(IScalerEvent e) => e switch
    {
        Decided d => new ScalerState(new ScalingMemory(d.To, d.At, d.LastBusyAt), Keep(e)),
        Applied => this with { History = Keep(e) },
        // GKE kept the old size: the next decision starts from there, after the cooldown of this attempt.
        ApplyFailed f => new ScalerState(Memory with { Target = f.From }, Keep(e)),
        _ => this,
    };

    private IReadOnlyList<IScalerEvent> Keep(IScalerEvent e) => History.Append(e).TakeLast(HistoryKept).ToList();
}

/// <summary>The one place in the cluster that sees the whole load. Every interval it measures stories waiting (the
/// backlog) and in flight (the workers' load reports), asks <see cref="ScalingPolicy"/> for the pool's size, and
/// journals each change with its reason before asking GKE for it: a cluster singleton on the `scaler` role, so after
/// its node dies the next incarnation replays the decisions and keeps their cooldowns.</summary>
public sealed class ScalerActor : ReceivePersistentActor, IWithTimers
{
    public const string Role = "scaler";

    private sealed record Tick;
    private sealed record Measured(IReadOnlyList<string> Workers, int Waiting, int InFlight, int BusyNodes, string? BacklogError);
    private sealed record Done(int From, int To, string? Error);
    private sealed record Unmeasured;

    private readonly ScalingSettings _settings;
    private readonly INodePool? _pool;
    private readonly IBacklog? _backlog;
    private readonly TimeProvider _time;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private ScalerState _state = ScalerState.Empty;
    private Measured? _last;
    private string? _now;
    private bool _busy;

    public ITimerScheduler Timers { get; set; } = null!;
    public override string PersistenceId => "nius-scaler";

    /// <param name="pool">null: no GKE configured; decisions are only logged.</param>
    /// <param name="backlog">null: nothing waits outside the cluster as far as the scaler knows (stories come
    /// through the admin endpoint only).</param>
    /// <param name="time">what cooldowns and the idle period are measured by: the node's clock, or a test's.</param>
    public ScalerActor(ScalingSettings settings, INodePool? pool, IBacklog? backlog, TimeSpan interval, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _settings = settings;
        _pool = pool;
        _backlog = backlog;

        Recover<IScalerEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            // The idle clock was last journaled with the last change; a new incarnation cannot know whether stories
            // ran since, so it restarts the clock: nodes stay a little longer, no story is cut short.
            if (_state.Memory.Target > 0) _state = _state with { Memory = _state.Memory with { LastBusyAt = _time.GetUtcNow() } };
            _log.Info("scaler starts with the pool at {0} ({1} decisions replayed); decisions go to {2}",
                _state.Memory.Target, _state.History.Count, PoolName);
            Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.Zero, interval);
        });

        Command<Tick>(_ => { if (!_busy) Measure(); });
        Command<ScalerProtocol.DecideNow>(_ => { if (!_busy) Measure(); });
        Command<Unmeasured>(_ => _busy = false);
        Command<Measured>(m =>
        {
            _last = m;
            var now = _time.GetUtcNow();
            var decision = ScalingPolicy.Decide(_settings, _state.Memory, new ScalingInput(m.Waiting, m.InFlight, m.BusyNodes, now));
            _now = decision.Reason + (m.BacklogError is { } err ? $" (backlog unknown: {err})" : "");
            if (decision.Action == ScalingAction.Hold)
            {
                _state = _state with { Memory = decision.Memory };
                _busy = false;
                return;
            }
            Persist(new Decided(now, decision.Action, decision.From, decision.To, m.Waiting, m.InFlight, m.BusyNodes, decision.Reason,
                decision.Memory.LastBusyAt), e =>
            {
                _state = _state.Apply(e);
                _log.Info("scaler: {0} {1} → {2}: {3}", e.Action.ToString().ToLowerInvariant(), e.From, e.To, e.Reason);
                if (_pool is null)
                {
                    Self.Tell(new Done(e.From, e.To, null));
                    return;
                }
                _pool.SetSizeAsync(e.To, CancellationToken.None).ContinueWith(t =>
                    new Done(e.From, e.To, t.IsCompletedSuccessfully ? null : t.Exception?.GetBaseException().Message ?? "cancelled")).PipeTo(Self);
            });
        });
        Command<Done>(d =>
        {
            var now = _time.GetUtcNow();
            if (d.Error is null)
                Persist(new Applied(now, d.To, PoolName), e => { _state = _state.Apply(e); _busy = false; });
            else
                Persist(new ApplyFailed(now, d.From, d.To, d.Error), e =>
                {
                    _state = _state.Apply(e);
                    _busy = false;
                    _log.Warning("scaler: resizing {0} to {1} failed: {2}", PoolName, d.To, d.Error);
                });
        });

        Command<ScalerProtocol.GetScalingView>(_ =>
        {
            var replyTo = Sender;
            var state = _state;
            var last = _last;
            var now = _now;
            MeasureAsync(includeBacklog: false).ContinueWith(t =>
            {
                var m = t.IsCompletedSuccessfully ? t.Result : last ?? new Measured([], 0, 0, 0, null);
                return new ScalerProtocol.ScalingView(_cluster.SelfAddress.ToString(), m.Workers, m.InFlight, last?.Waiting ?? 0,
                    state.Memory.Target, state.Memory.LastChangeAt, PoolName, now, state.History);
            }).PipeTo(replyTo);
        });
    }

    private string PoolName => _pool?.Describe ?? "log only (no GKE project configured)";

    private void Measure()
    {
        _busy = true;
        // No measure, no decision: better to keep the pool than to resize it on a failed read.
        MeasureAsync(includeBacklog: true).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : (object)new Unmeasured()).PipeTo(Self);
    }

    private async Task<Measured> MeasureAsync(bool includeBacklog)
    {
        var workers = _cluster.State.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole("worker"))
            .Select(m => m.Address.ToString()).Order(StringComparer.Ordinal).ToList();
        var response = await _replicator.Ask<IGetResponse>(Dsl.Get(NodeLoadKeys.Loads, ReadLocal.Instance), TimeSpan.FromSeconds(2));
        IReadOnlyDictionary<string, NodeLoad> loads = response is GetSuccess ok ? ok.Get(NodeLoadKeys.Loads).Entries : new Dictionary<string, NodeLoad>();
        var perWorker = workers.Select(w => loads.TryGetValue(w, out var l) ? l.InFlight : 0).ToList();
        var waiting = 0;
        string? backlogError = null;
        if (includeBacklog && _backlog is not null)
        {
            // An unreadable backlog counts as empty for this tick, said in the reason; in-flight work still
            // keeps its nodes, so the worst case is a delayed scale-up, never a story cut short.
            try { waiting = await _backlog.WaitingAsync(CancellationToken.None); }
            catch (Exception e) { backlogError = e.Message; }
        }
        return new Measured(workers, waiting, perWorker.Sum(), perWorker.Count(n => n > 0), backlogError);
    }
}

public static class ScalerHosting
{
    /// <summary>Runs the scaler singleton on nodes with the `scaler` role; every node gets a proxy, registered under
    /// <see cref="ScalerActor"/>, that follows it when it moves. Its journal is the default one (the stories'),
    /// with its events bound to their own serializer.</summary>
    public static AkkaConfigurationBuilder AddScaler(this AkkaConfigurationBuilder builder, bool hasScalerRole,
        ScalingSettings? settings = null, INodePool? pool = null, IBacklog? backlog = null, TimeSpan? interval = null, TimeProvider? time = null)
    {
        builder.WithCustomSerializer("nius-scaler", [typeof(IScalerEvent)], system => new ScalerEventSerializer(system));
        var s = settings ?? new ScalingSettings();
        s.Validate();
        // A persistent actor stops when its journal fails, and a singleton manager does not restart what stopped:
        // the backoff supervisor does, so a journal outage pauses the scaler instead of ending it.
        var scaler = Props.Create(() => new ScalerActor(s, pool, backlog, interval ?? TimeSpan.FromSeconds(30), time));
        var supervised = BackoffSupervisor.Props(Backoff.OnStop(scaler, "decisions", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, -1));
        // The proxy's "failed to find an associated singleton" warning stays off: Akka starts its timer with no delay, so
        // it fires on every node the moment the proxy starts (even beside the singleton it finds a second later), and
        // again every 30 s on a cluster with no scaler node, which is a legal setup (no scaling), not a fault.
        // GET /api/scaler says so when asked.
        var options = new ClusterSingletonOptions { Role = ScalerActor.Role, LogSingletonIdentificationFailure = false };
        return hasScalerRole
            ? builder.WithSingleton<ScalerActor>("scaler", supervised, options, createProxyToo: true)
            : builder.WithSingletonProxy<ScalerActor>("scaler", options);
    }
}
