using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.DistributedData;
using Akka.Event;

namespace NiusTv.Actors.Sharding;

/// <summary>What one worker node last said about itself: stories in flight there and free space under its
/// workspace folder. Read by the allocation strategy wherever the coordinator happens to run.</summary>
public sealed record NodeLoad(int InFlight, long FreeDiskBytes, DateTimeOffset At);

public static class NodeLoadKeys
{
    /// <summary>One map for the cluster, keyed by node address; last writer wins because only the node itself writes
    /// its own entry.</summary>
    public static readonly LWWDictionaryKey<string, NodeLoad> Loads = new("nius-node-load");

    public static string NodeKey(Address address) => address.ToString();
}

/// <summary>Measures this node's load every interval and reports it into DistributedData when it changed (or every
/// <see cref="RepeatAfter"/> intervals): the number of stories alive in the local shard region (finished stories
/// passivate, so alive ≈ in flight) and free disk in the workspace folder.</summary>
public sealed class NodeLoadReporter : ReceiveActor, IWithTimers
{
    private sealed record Tick;
    private sealed record Measured(int InFlight, long FreeDiskBytes);

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeLoadReporter(IActorRef region, string workspaceRoot, TimeSpan interval)
    {
        var cluster = Cluster.Get(Context.System);
        var replicator = DistributedData.Get(Context.System).Replicator;
        var key = NodeLoadKeys.NodeKey(cluster.SelfAddress);
        var log = Context.GetLogger();

        Receive<Tick>(_ =>
        {
            var self = Self;
            region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, interval)
                .ContinueWith(t =>
                {
                    // A region that does not answer in time still has a disk worth reporting; count it as busy.
                    var inFlight = t.IsCompletedSuccessfully ? t.Result.Shards.Sum(s => s.EntityIds.Count) : int.MaxValue / 2;
                    return new Measured(inFlight, FreeDisk(workspaceRoot));
                }).PipeTo(self);
        });
        Receive<Measured>(m =>
        {
            var now = DateTimeOffset.UtcNow;
            // An unchanged load is not written again (a write goes to the replicator, its deltas and its subscribers)
            // until it is RepeatAfter old: an idle node wakes no one, and a report is never older than the window
            // in which the strategy counts the shards it handed out since.
            if (_last is { } last && last.InFlight == m.InFlight && Math.Abs(last.FreeDiskBytes - m.FreeDiskBytes) < DiskStep
                && now - last.At < _interval * RepeatAfter) return;
            var load = _last = new NodeLoad(m.InFlight, m.FreeDiskBytes, now);
            replicator.Tell(Dsl.Update(NodeLoadKeys.Loads, LWWDictionary<string, NodeLoad>.Empty, WriteLocal.Instance,
                map => map.SetItem(cluster, key, load)));
        });
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => log.Warning("node load report not stored: {0}", f));
        _interval = interval;
    }

    private readonly TimeSpan _interval;
    private NodeLoad? _last;

    /// <summary>A change of free disk smaller than this is not a change worth writing.</summary>
    public const long DiskStep = 64L << 20;

    /// <summary>An unchanged load is written again after this many intervals (the strategy forgets the shards it handed
    /// out after as many).</summary>
    public const int RepeatAfter = 10;

    protected override void PreStart() => Timers.StartPeriodicTimer("report", new Tick(), TimeSpan.Zero, _interval);

    public static long FreeDisk(string folder)
    {
        Directory.CreateDirectory(folder);
        return new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;
    }

    public static Props Create(IActorRef region, string workspaceRoot, TimeSpan interval) =>
        Props.Create(() => new NodeLoadReporter(region, workspaceRoot, interval));
}
