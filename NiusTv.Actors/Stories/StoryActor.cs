using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Akka.Persistence;
using Akka.DistributedData;
using NiusTv.Actors.Sharding;
using Microsoft.Extensions.DependencyInjection;
using NiusTv.Steps;
using static NiusTv.Actors.Stories.StepPoolProtocol;

namespace NiusTv.Actors.Stories;

/// <summary>Node-wide settings every StoryActor of this node shares (the steps it runs are the node's
/// <see cref="Pipeline"/>).</summary>
/// <param name="WorkspaceRoot">Node-local folder holding one workspace per story revision.</param>
/// <param name="Keep">how long workspaces stay on this node; null: <see cref="WorkspaceRetention.Default"/>.</param>
/// <param name="SnapshotEvery">A story saves a snapshot of its state every this many events, so a long-lived story
/// (many revisions, retries) recovers from its last snapshot plus the events after it, not from its whole history.
/// The events stay in the journal: they are the story's timeline.</param>
public sealed record StoryRuntimeSettings(string WorkspaceRoot, RetryPolicy Retry,
    WorkspaceRetention? Keep = null, int SnapshotEvery = StoryRuntimeSettings.DefaultSnapshotEvery)
{
    public const int DefaultSnapshotEvery = 100;

    /// <summary>What stories stamp their events with and wait out retry backoffs by: the node's clock, or a test's.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public WorkspaceRetention Retention => Keep ?? WorkspaceRetention.Default;

    public string WorkspaceOf(string storyId, int revision) => Path.Combine(WorkspaceRoot, storyId, $"r{revision}");
}

/// <summary>The durable state machine of one story (sharded; entity id = story id). It only persists, replies and
/// hands work to its node's step pools: every decision lives in <see cref="StoryState"/>.</summary>
public sealed class StoryActor : ReceivePersistentActor
{
    public const string TypeName = "story";

    /// <summary>The message the shard stops a story with (passivation and hand-off). A command rather than a
    /// PoisonPill: it waits behind the commands that persistence stashed while an event was being written, so a
    /// publish that arrived just before the stop is still answered, never dropped.</summary>
    /// <param name="HandOff">the shard is moving or the node is leaving: remember-entities restarts the stories in
    /// flight where the shard lands, so nothing needs waking.</param>
    public sealed record Stop(bool HandOff)
    {
        public static readonly Stop Passivation = new(false);
        public static readonly Stop ForHandOff = new(true);
    }

    private sealed record Resume;
    /// <param name="Generation">which wait it ends: one cancelled meanwhile may still be in the mailbox.</param>
    private sealed record RetryDue(int Generation);
    private sealed record WorkspaceChecked(int Revision, string? Step, string? Damage);

    private readonly StoryRuntimeSettings _settings;
    private readonly Pipeline _pipeline;
    private readonly IActorRef _pools;
    private readonly string _node;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, double> _progress = new();
    private StoryState _state;
    private bool _passivating;
    /// <summary>The story shard region, when this story is one of its entities (not in actor tests).</summary>
    private readonly IActorRef? _region;
    /// <summary>The commands handed back to the shard since we asked to passivate, by reference: seeing one of them
    /// again means the shard kept us running.</summary>
    private readonly HashSet<object> _handedBack = new(ReferenceEqualityComparer.Instance);
    /// <summary>Who is waiting for the write in progress to be confirmed (a publish, cancel or retry).</summary>
    private IActorRef? _awaitingWrite;
    private ITimer? _retry;
    private int _retryGeneration;

    /// <param name="pipeline">The steps a new revision runs, in order (a revision keeps the steps it was accepted with).</param>
    public StoryActor(string storyId, StoryRuntimeSettings settings, Pipeline pipeline, IActorRef pools)
    {
        _settings = settings;
        _pipeline = pipeline;
        _pools = pools;
        _node = NodeName(Context.System);
        _state = StoryState.Empty(storyId);
        _region = ShardRegionOf(Context.System);

        Recover<SnapshotOffer>(o =>
        {
            if (o.Snapshot is StorySnapshot s) _state = s.ToState();
        });
        Recover<IStoryEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            if (_state.IsActive) Self.Tell(new Resume());
        });

        // First, so it sees every command before its own handler does.
        Command<IStoryMessage>(HandBackToShard, IsForTheNextIncarnation);
        Command<StoryCommands.Publish>(OnPublish);
        Command<StoryCommands.Cancel>(OnCancel);
        Command<StoryCommands.Retry>(OnRetry);
        Command<StoryQueries.GetStory>(_ =>
        {
            if (_state.IsKnown) Sender.Tell(StoryView.From(_state, _progress));
            else
            {
                Sender.Tell(new StoryQueries.StoryNotFound(_state.Id));
                Passivate();
            }
        });
        Command<Stop>(OnStop);
        Command<StoryCommands.Wake>(_ => { });
        Command<SaveSnapshotSuccess>(_ => { });
        // Only recovery time is lost: the events are all in the journal, and the next multiple of N tries again.
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "story {0}: saving its snapshot at event {1} failed", _state.Id, f.Metadata.SequenceNr));
        Command<StoryCommands.CleanWorkspace>(OnCleanWorkspace);
        Command<Resume>(_ => OnResume());
        Command<WorkspaceChecked>(OnWorkspaceChecked);
        Command<RetryDue>(d => { if (d.Generation == _retryGeneration) Advance(); });
        Command<StepProgress>(p =>
        {
            if (p.Revision == _state.Revision) _progress[p.Step] = p.Fraction;
        });
        Command<StepSucceeded>(s =>
            PersistThen(_state.StepSucceeded(s.Revision, s.Step, s.Attempt, s.Backend, s.Artifacts, Now), Advance));
        Command<StepPoolProtocol.StepFailed>(f =>
        {
            var events = _state.StepFailedWith(f.Revision, f.Step, f.Attempt, f.Backend, f.Reason, f.Transient, _settings.Retry, Now);
            if (events.Count > 0) _log.Warning("story {0} r{1}: {2} attempt {3} failed ({4}): {5}", _state.Id, _state.Revision,
                f.Step, f.Attempt, f.Transient ? "transient" : "permanent", f.Reason);
            PersistThen(events, Advance);
        });
    }

    public override string PersistenceId => "story-" + _state.Id;

    public static Props Create(string storyId, StoryRuntimeSettings settings, Pipeline pipeline, IActorRef pools) =>
        Props.Create(() => new StoryActor(storyId, settings, pipeline, pools));

    public static string NodeName(ActorSystem system)
    {
        // Outside a cluster (actor tests) there is no node address to record, only the system.
        if (((ExtendedActorSystem)system).Provider is not Akka.Cluster.IClusterActorRefProvider) return system.Name;
        var address = Cluster.Get(system).SelfAddress;
        return address.Host is null ? address.ToString() : $"{address.Host}:{address.Port}";
    }

    private void OnPublish(StoryCommands.Publish publish)
    {
        if (publish.NotAfter is { } deadline && Now > deadline)
        {
            _log.Warning("story {0}: a publish arrived {1:0.0} s after its sender stopped waiting; not applied (the sender was told so)",
                _state.Id, (Now - deadline).TotalSeconds);
            if (!_state.IsKnown) Passivate();
            return;
        }
        var events = _state.Accept(publish.Story, _pipeline.StepNamesFor(publish.Story), Now);
        if (events.Count == 0)
        {
            Sender.Tell(new StoryCommands.PublishResult(_state.Id, _state.Revision, false, StoryView.StateName(_state.Status)));
            return;
        }
        if (_state.IsActive) _pools.Tell(new CancelStory(_state.Id)); // the old revision's work is abandoned
        CancelRetry();
        _progress.Clear();
        var replyTo = Sender;
        _awaitingWrite = replyTo;
        PersistThen(events, () =>
        {
            _awaitingWrite = null;
            _log.Info("story {0} accepted as revision {1}", _state.Id, _state.Revision);
            RemoveWorkspaces(_settings.Retention.Decide(_state, RevisionsOnDisk(), Now)); // the abandoned revisions
            replyTo.Tell(new StoryCommands.PublishResult(_state.Id, _state.Revision, true, StoryView.StateName(_state.Status)));
            Advance();
        });
    }

    private void OnCancel(StoryCommands.Cancel cancel)
    {
        var events = _state.Cancel(cancel.Reason, Now);
        var replyTo = Sender;
        if (events.Count == 0)
        {
            replyTo.Tell(new StoryCommands.CancelResult(_state.Id, false, StoryView.StateName(_state.Status)));
            return;
        }
        _pools.Tell(new CancelStory(_state.Id));
        CancelRetry();
        _awaitingWrite = replyTo;
        PersistThen(events, () =>
        {
            _awaitingWrite = null;
            replyTo.Tell(new StoryCommands.CancelResult(_state.Id, true, StoryView.StateName(_state.Status)));
            Passivate();
        });
    }

    /// <summary>An operator's retry: stop whatever runs, persist the reset, then resume as after a restart, so the
    /// results reused from earlier steps are proven intact before the story builds on them.</summary>
    private void OnRetry(StoryCommands.Retry retry)
    {
        var decision = _state.Retry(retry.FromStep, retry.Reason, Now);
        var replyTo = Sender;
        if (decision.Error is not null)
        {
            replyTo.Tell(new StoryCommands.RetryResult(_state.Id, _state.Revision, false, null, StoryView.StateName(_state.Status), decision.Error));
            if (!_state.IsKnown) Passivate();
            return;
        }
        if (_state.IsActive) _pools.Tell(new CancelStory(_state.Id));
        CancelRetry();
        _progress.Clear();
        _awaitingWrite = replyTo;
        PersistThen(decision.Events, () =>
        {
            _awaitingWrite = null;
            _log.Info("story {0} r{1}: retry from {2} ({3})", _state.Id, _state.Revision, decision.FromStep, retry.Reason);
            replyTo.Tell(new StoryCommands.RetryResult(_state.Id, _state.Revision, true, decision.FromStep, StoryView.StateName(_state.Status), null));
            OnResume();
        });
    }

    /// <summary>After a restart: close the attempt the node died in, then prove the results of completed steps are
    /// still here before building on them.</summary>
    private void OnResume()
    {
        PersistThen(_state.Interrupted(_settings.Retry, Now), () =>
        {
            if (!_state.IsActive) return;
            var revision = _state.Revision;
            var workspace = _settings.WorkspaceOf(_state.Id, revision);
            var completed = _state.Steps.Where(s => s.Status == StepStatus.Completed).ToList();
            Task.Run(() =>
            {
                foreach (var step in completed)
                    if (StepPool.FindDamage(workspace, step.Artifacts) is { } damage)
                        return new WorkspaceChecked(revision, step.Name, damage);
                return new WorkspaceChecked(revision, null, null);
            }).PipeTo(Self);
        });
    }

    private void OnWorkspaceChecked(WorkspaceChecked check)
    {
        if (check.Revision != _state.Revision || !_state.IsActive) return;
        if (check.Step is null)
        {
            Advance();
            return;
        }
        _log.Warning("story {0} r{1}: results of {2} are gone ({3}); running again from {2}", _state.Id, _state.Revision, check.Step, check.Damage);
        PersistThen([new StoryEvents.ResultsLost(_state.Id, _state.Revision, check.Step, check.Damage!, _node, Now)], Advance);
    }

    private string StoryFolder => Path.Combine(_settings.WorkspaceRoot, _state.Id);

    private IReadOnlyList<int> RevisionsOnDisk() => WorkspaceRetention.RevisionsOnDisk(StoryFolder);

    /// <summary>The janitor's request: remove what the retention policy says is past its time, journal it when it
    /// was the current revision's results, and go back to sleep if the story is finished.</summary>
    private void OnCleanWorkspace(StoryCommands.CleanWorkspace clean)
    {
        if (clean.AskedByNode is { } asker && asker != _node)
        {
            Sender.Tell(new StoryCommands.WorkspaceLivesElsewhere(_state.Id, _node));
            if (!_state.IsActive) Passivate();
            return;
        }
        var plan = _settings.Retention.Decide(_state, RevisionsOnDisk(), Now);
        var removed = RemoveWorkspaces(plan);
        if (plan.CurrentRevision && removed)
        {
            _log.Info("story {0} r{1}: workspace {2}", _state.Id, _state.Revision, plan.Reason);
            PersistThen([new StoryEvents.ResultsCleaned(_state.Id, _state.Revision, plan.Reason!, _node, Now)], () =>
            {
                if (!_state.IsActive) Passivate();
            });
        }
        else if (!_state.IsActive) Passivate();
    }

    /// <summary>Deleting is done here, in the actor, so no step of this story can start while its folder goes. A
    /// workspace is a handful of files: unlinking them takes milliseconds even for a long story.</summary>
    private bool RemoveWorkspaces(WorkspaceRetention.Plan plan)
    {
        var all = true;
        foreach (var revision in plan.Remove)
        {
            var folder = _settings.WorkspaceOf(_state.Id, revision);
            try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                all = false;
                _log.Warning("story {0}: could not remove the workspace {1}: {2}", _state.Id, folder, e.Message);
            }
        }
        try { if (plan.Remove.Count > 0 && Directory.Exists(StoryFolder) && !Directory.EnumerateFileSystemEntries(StoryFolder).Any()) Directory.Delete(StoryFolder); }
        catch (IOException) { } // a step of a new revision created it again meanwhile
        return all;
    }

    private DateTimeOffset Now => _settings.Clock.GetUtcNow();

    private void WaitForRetry(DateTimeOffset due)
    {
        CancelRetry();
        var self = Self;
        var message = new RetryDue(_retryGeneration);
        var wait = due - Now;
        _retry = _settings.Clock.CreateTimer(_ => self.Tell(message), null, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void CancelRetry()
    {
        _retryGeneration++;
        _retry?.Dispose();
        _retry = null;
    }

    protected override void PostStop()
    {
        CancelRetry();
        base.PostStop();
    }

    private void Advance()
    {
        if (!_state.IsActive)
        {
            if (_state.Status is StoryStatus.Failed or StoryStatus.Completed) Passivate();
            return;
        }
        var next = _state.Advance(_node, Now);
        switch (next)
        {
            case null when _state.NextStep is { Status: StepStatus.Retrying, RetryAt: { } due }:
                WaitForRetry(due);
                break;
            case null:
                break;
            case StoryEvents.StepStarted started:
                PersistThen([started], () =>
                {
                    _progress[started.Step] = 0;
                    var workspace = _settings.WorkspaceOf(_state.Id, _state.Revision);
                    var rendition = StoryStepName.Rendition(started.Step) is { } name ? _state.Story!.Rendition(name) : null;
                    var input = new StepInput(_state.Story!, _state.Revision, workspace, _state.CompletedArtifacts, rendition);
                    _pools.Tell(new RunStep(_state.Id, _state.Revision, started.Step, started.Attempt, input));
                });
                break;
            default:
                PersistThen([next], () =>
                {
                    _log.Info("story {0} r{1} completed: {2}", _state.Id, _state.Revision, _state.Video);
                    Passivate();
                });
                break;
        }
    }

    private void PersistThen(IReadOnlyList<IStoryEvent> events, Action after)
    {
        if (events.Count == 0)
        {
            after();
            return;
        }
        var last = events[^1];
        PersistAll(events, e =>
        {
            var before = _state;
            _state = _state.Apply(e);
            Context.System.EventStream.Publish(new StoryEventPersisted(e, before, _state, _node));
            if (_settings.SnapshotEvery > 0 && LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(StorySnapshot.Of(_state));
            if (ReferenceEquals(e, last)) after();
        });
    }

    /// <summary>The journal refused the write (disk full, database down): whoever waits for it hears so now, with the
    /// cause, instead of timing out; nothing of it was applied. The node's journal watch is told, so readiness turns
    /// unready until a write succeeds. Akka then stops this actor; the next command starts it from the journal.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        var reason = $"the journal could not store story {_state.Id}'s {@event.GetType().Name} event: {cause.GetBaseException().Message}";
        _log.Error(cause, "story {0}: {1}", _state.Id, reason);
        // The watch hears first: whoever is told of the failure and then asks the watch must find it already unwritable.
        Context.System.EventStream.Publish(new StoryJournalFailed(_state.Id, reason, Now));
        _awaitingWrite?.Tell(new Status.Failure(new JournalUnavailableException(reason, cause)));
        _awaitingWrite = null;
        _pools.Tell(new CancelStory(_state.Id)); // its result would have no actor to go to
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        var reason = $"the journal rejected story {_state.Id}'s {@event.GetType().Name} event: {cause.GetBaseException().Message}";
        _awaitingWrite?.Tell(new Status.Failure(new JournalUnavailableException(reason, cause)));
        _awaitingWrite = null;
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    /// <summary>A finished story needs no memory; passivating also drops it from the remembered entities, so a
    /// restarted node wakes only the stories still in flight. Commands that reach the shard meanwhile are buffered
    /// there and start the story again once it has stopped.</summary>
    private void Passivate()
    {
        if (_passivating) return;
        _passivating = true;
        Context.Parent.Tell(new Passivate(Stop.Passivation));
    }

    /// <summary>A command that was already in our mailbox when we asked the shard to passivate us would be taken by
    /// an actor about to stop: a publish would start work that the stop then interrupts. While passivating, commands
    /// go back through the region to the shard, which holds them until we have stopped and then starts the story
    /// again with them, in the order they came.</summary>
    private bool IsForTheNextIncarnation(IStoryMessage command)
    {
        if (!_passivating || _region is null) return false;
        if (!_handedBack.Remove(command)) return true;
        // One we handed back came back: the shard refused the passivation (it does while it holds messages for us)
        // and we keep running, so this and everything after it is ours to handle.
        _passivating = false;
        _handedBack.Clear();
        return false;
    }

    private void HandBackToShard(IStoryMessage command)
    {
        _handedBack.Add(command);
        _region!.Forward(command);
    }

    private static IActorRef? ShardRegionOf(ActorSystem system) =>
        ((ExtendedActorSystem)system).Provider is IClusterActorRefProvider && ClusterSharding.Get(system).ShardTypeNames.Contains(TypeName)
            ? ClusterSharding.Get(system).ShardRegion(TypeName)
            : null;

    private void OnStop(Stop stop)
    {
        // The shard also stops a story that had no message for its idle time, without our asking. A publish or retry
        // that was in the mailbox before that stop made the story active again. Stopping is not ours to refuse, so
        // ask the shard to start us again right after: recovery then resumes the new work instead of leaving it
        // running with nobody to drive it.
        if (!stop.HandOff && _state.IsActive && _region is not null)
        {
            // The running step would answer a stopped actor; the woken one runs it again as after a restart.
            _pools.Tell(new CancelStory(_state.Id));
            _region.Tell(new StoryCommands.Wake(_state.Id));
        }
        Context.Stop(Self);
    }
}

/// <summary>Routes story messages to shards by story id.</summary>
public sealed class StoryMessageExtractor(int maxShards = 100) : HashCodeMessageExtractor(maxShards)
{
    public override string? EntityId(object message) => (message as IStoryMessage)?.StoryId;
}

public static class StoryActorHosting
{
    /// <summary>Starts the story shard region on nodes with <paramref name="role"/> and a proxy on the others, and
    /// registers it under <see cref="StoryActor"/>. The region is started by hand because its shards are placed by
    /// <see cref="StoryAllocationStrategy"/>, for which ShardOptions has no slot. Remember-entities (event-sourced)
    /// brings stories that were in flight back to life when their shard restarts, here or on another node, without
    /// anyone asking for them. Worker nodes also report their load for the strategy to read.</summary>
    public static AkkaConfigurationBuilder AddStoryActor(this AkkaConfigurationBuilder builder, string role = "worker",
        StoryAffinitySettings? affinity = null)
    {
        affinity ??= StoryAffinitySettings.Default;
        return builder
            .WithCustomSerializer("nius-story-wire", StoryMessageSerializer.Table.Select(t => t.Type), system => new StoryMessageSerializer(system))
            .WithActors(async (system, registry, resolver) =>
        {
            // The strategy reads node loads from DistributedData, and majority operations need a replicator on
            // every node: start it here rather than on first use.
            DistributedData.Get(system);
            system.ActorOf(Props.Create(() => new StoryChanges.Feed()), "story-change-feed");
            var sharding = ClusterSharding.Get(system);
            var extractor = new StoryMessageExtractor();
            if (!Cluster.Get(system).SelfRoles.Contains(role))
            {
                registry.Register<StoryActor>(await sharding.StartProxyAsync(StoryActor.TypeName, role, extractor));
                return;
            }

            var settings = resolver.GetService<StoryRuntimeSettings>();
            var pipeline = resolver.GetService<Pipeline>();
            var pools = registry.Get<StepPools>();
            // The remember-entities store has no With… method; it is read from config.
            var shardingConfig = ConfigurationFactory.ParseString("remember-entities-store = eventsourced")
                .WithFallback(system.Settings.Config.GetConfig("akka.cluster.sharding"));
            var shardingSettings = ClusterShardingSettings.Create(shardingConfig, system.Settings.Config.GetConfig("akka.cluster.singleton"))
                .WithRole(role)
                .WithRememberEntities(true)
                .WithStateStoreMode(StateStoreMode.Persistence)
                .WithPassivateIdleAfter(TimeSpan.FromMinutes(30));
            var region = await sharding.StartAsync(StoryActor.TypeName, id => StoryActor.Create(id, settings, pipeline, pools),
                shardingSettings, extractor, new StoryAllocationStrategy(system, affinity), StoryActor.Stop.ForHandOff);
            registry.Register<StoryActor>(region);
            system.ActorOf(NodeLoadReporter.Create(region, settings.WorkspaceRoot, affinity.ReportInterval), "node-load");
            system.ActorOf(WorkspaceJanitor.Create(settings.WorkspaceRoot, region, settings.Retention), "workspace-janitor");
            system.ActorOf(Props.Create(() => new StoryChanges.Relay()), "story-change-relay");
        });
    }
}
