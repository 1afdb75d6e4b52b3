using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.DistributedData;

namespace NiusTv.Actors.Sharding;

/// <param name="MinFreeDiskBytes">A node with less free space in its workspace folder gets no new stories while
/// another node has enough: a story's workspace grows to hundreds of megabytes and lives on that node's disk.</param>
public sealed record StoryAffinitySettings(long MinFreeDiskBytes, TimeSpan ReportInterval)
{
    public static readonly StoryAffinitySettings Default = new(2L << 30, TimeSpan.FromSeconds(1));
}

/// <summary>Places each new story shard on the worker with the least work in flight and enough free disk, and never
/// moves a shard afterwards: a story's workspace is on its node's disk, so moving it means starting it again. Shards
/// only move when their node leaves the cluster (the coordinator reallocates them then, through this same choice).
/// It runs in the coordinator singleton; every worker node builds the same one.</summary>
public sealed class StoryAllocationStrategy : IShardAllocationStrategy
{
    private readonly ActorSystem _system;
    private readonly StoryAffinitySettings _settings;

    // Loads are reported every second or so; shards handed out since a node's last report count as work there, or a
    // burst of new stories would all land on whichever node looked idlest a moment ago.
    private readonly Dictionary<string, List<DateTimeOffset>> _recent = new();

    public StoryAllocationStrategy(ActorSystem system, StoryAffinitySettings settings)
    {
        _system = system;
        _settings = settings;
    }

    public async Task<IActorRef> AllocateShard(IActorRef requester, string shardId,
        IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        IReadOnlyDictionary<string, NodeLoad> loads = new Dictionary<string, NodeLoad>();
        try
        {
            var response = await DistributedData.Get(_system).Replicator.Ask<IGetResponse>(
                Dsl.Get(NodeLoadKeys.Loads, ReadLocal.Instance), TimeSpan.FromSeconds(1));
            if (response is GetSuccess success) loads = success.Get(NodeLoadKeys.Loads).Entries;
        }
        catch (AskTimeoutException)
        {
            // Without reports the choice falls back to shard counts: still a spread, only blind to disk.
        }

        var now = DateTimeOffset.UtcNow;
        var candidates = currentShardAllocations.Select(kv =>
        {
            var node = NodeLoadKeys.NodeKey(AddressOf(kv.Key));
            var load = loads.GetValueOrDefault(node);
            var recent = _recent.TryGetValue(node, out var times) ? times.Count(t => load is null || t > load.At) : 0;
            return new Candidate(kv.Key, node, load, recent, kv.Value.Count);
        }).ToList();
        var chosen = Choose(candidates, _settings.MinFreeDiskBytes);

        if (!_recent.TryGetValue(chosen.Node, out var list)) _recent[chosen.Node] = list = [];
        list.Add(now);
        list.RemoveAll(t => now - t > _settings.ReportInterval * 10);
        return chosen.Region;
    }

    /// <summary>Nothing is ever rebalanced: moving a shard would restart every story in it on a node without its
    /// workspace. New stories even out the load instead.</summary>
    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations,
        IImmutableSet<string> rebalanceInProgress) => Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);

    private Address AddressOf(IActorRef region) =>
        region.Path.Address.HasLocalScope ? Cluster.Get(_system).SelfAddress : region.Path.Address;

    /// <param name="Load">null until the node has reported.</param>
    /// <param name="AllocatedSinceReport">shards given to the node after its report was taken.</param>
    public sealed record Candidate(IActorRef Region, string Node, NodeLoad? Load, int AllocatedSinceReport, int Shards)
    {
        public int Work => (Load?.InFlight ?? 0) + AllocatedSinceReport;
    }

    /// <summary>The decision, apart from where its inputs come from: among nodes with enough disk (all of them, if
    /// none has), the least work in flight, then the fewest shards, then the address so every tie breaks the same way.</summary>
    public static Candidate Choose(IReadOnlyList<Candidate> candidates, long minFreeDiskBytes)
    {
        if (candidates.Count == 0) throw new InvalidOperationException("no worker region to allocate a story shard to");
        var roomy = candidates.Where(c => c.Load is null || c.Load.FreeDiskBytes >= minFreeDiskBytes).ToList();
        var pool = roomy.Count > 0 ? roomy : candidates.OrderByDescending(c => c.Load!.FreeDiskBytes).Take(1).ToList();
        return pool.OrderBy(c => c.Work).ThenBy(c => c.Shards).ThenBy(c => c.Node, StringComparer.Ordinal).First();
    }
}
