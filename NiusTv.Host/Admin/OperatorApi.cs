using NiusTv.Actors.Sharding;
using Akka.DistributedData;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using static NiusTv.Host.Admin.AdminApi;

namespace NiusTv.Host.Admin;

/// <summary>The operators' palettes over the admin endpoint: cluster membership, sharding, the actor tree, the
/// node's recent log lines and the components a node may or may not run. Shapes are what `nius … --json` prints.</summary>
public static class OperatorApi
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);

    /// <param name="FreeDiskBytes">free space for workspaces, as the worker last reported it; null for a node that
    /// runs no stories or has not reported yet.</param>
    public sealed record MemberView(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable,
        long? FreeDiskBytes = null, DateTimeOffset? ReportedAt = null);

    public sealed record ClusterView(string Self, string? Leader, IReadOnlyList<MemberView> Members, IReadOnlyList<string> Unreachable);

    public sealed record ClusterCommandResult(string Command, IReadOnlyList<string> Addresses);

    public sealed record RegionsView(string Type, IReadOnlyList<string> Regions);

    public sealed record RegionStatsView(string Region, IReadOnlyDictionary<string, int> Shards, int Entities, IReadOnlyList<string> Failed);

    public sealed record ShardView(string ShardId, IReadOnlyList<string> Entities);

    public sealed record ShardsView(string Type, string Region, IReadOnlyList<ShardView> Shards, IReadOnlyList<string> Failed);

    public sealed record ActorNode(string Path, string Name, IReadOnlyList<ActorNode> Children);

    /// <summary>One loaded model, as `nius models show --json` prints it.</summary>
    public sealed record ModelView(string Name, string Kind, string Checkpoint, string Device, string Dtype, long Parameters, long Bytes);

    public sealed record ModelsView(string Device, IReadOnlyList<ModelView> Models);

    public static void MapOperatorApi(this RouteGroupBuilder api)
    {
        api.MapGet("/cluster", async (ActorSystem system, CancellationToken ct) => Results.Ok(await ClusterStateAsync(system, ct)));

        api.MapPost("/cluster/leave", (ActorSystem system) =>
        {
            var cluster = Cluster.Get(system);
            cluster.Leave(cluster.SelfAddress);
            return Results.Ok(new ClusterCommandResult("leave", [cluster.SelfAddress.ToString()]));
        });

        api.MapPost("/cluster/down-unreachable", (ActorSystem system) =>
        {
            var cluster = Cluster.Get(system);
            var unreachable = cluster.State.Unreachable.Select(m => m.Address).ToList();
            foreach (var address in unreachable) cluster.Down(address);
            return Results.Ok(new ClusterCommandResult("down-unreachable", unreachable.Select(a => a.ToString()).ToList()));
        });

        api.MapPost("/cluster/down", (ActorSystem system, string? address) =>
        {
            var cluster = Cluster.Get(system);
            var member = cluster.State.Members.FirstOrDefault(m => m.Address.ToString() == address || HostPort(m.Address) == address);
            if (member is null)
                return Results.NotFound(new ErrorBody($"'{address}' is not a member of this cluster; members: " +
                    string.Join(", ", cluster.State.Members.Select(m => m.Address.ToString()))));
            cluster.Down(member.Address);
            return Results.Ok(new ClusterCommandResult("down", [member.Address.ToString()]));
        });

        api.MapGet("/sharding/regions", async (ActorSystem system, string? type, CancellationToken ct) =>
        {
            var types = type is null ? ClusterSharding.Get(system).ShardTypeNames.Order().ToList() : [type];
            var views = new List<RegionsView>();
            foreach (var t in types)
            {
                if (Region(system, t) is not { } region) return UnknownType(system, t);
                var regions = await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, QueryTimeout, ct);
                views.Add(new RegionsView(t, regions.Regions.Select(a => a.ToString()).Order().ToList()));
            }
            return Results.Ok(views);
        });

        api.MapGet("/sharding/{type}/stats", async (ActorSystem system, string type, CancellationToken ct) =>
        {
            if (Region(system, type) is not { } region) return UnknownType(system, type);
            var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(QueryTimeout), QueryTimeout + TimeSpan.FromSeconds(2), ct);
            return Results.Ok(stats.Regions.OrderBy(r => r.Key.ToString()).Select(r => new RegionStatsView(r.Key.ToString(),
                r.Value.Stats.OrderBy(s => s.Key).ToDictionary(s => s.Key, s => s.Value), r.Value.Stats.Values.Sum(),
                r.Value.Failed.Order().ToList())).ToList());
        });

        api.MapGet("/sharding/{type}/shards", async (ActorSystem system, string type, CancellationToken ct) =>
        {
            if (Region(system, type) is not { } region) return UnknownType(system, type);
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, QueryTimeout, ct);
            return Results.Ok(new ShardsView(type, Cluster.Get(system).SelfAddress.ToString(),
                state.Shards.OrderBy(s => s.ShardId).Select(s => new ShardView(s.ShardId, s.EntityIds.Order().ToList())).ToList(),
                state.Failed.Order().ToList()));
        });

        api.MapGet("/actors", async (ActorSystem system, int? depth, string? path, CancellationToken ct) =>
        {
            var start = await ResolveLocal(system, string.IsNullOrEmpty(path) ? "/" : path, ct);
            if (start is null) return Results.NotFound(new ErrorBody($"no actor at '{path}' on this node"));
            return Results.Ok(Tree(start, Math.Clamp(depth ?? 4, 0, 32)));
        });

        api.MapGet("/models", (NiusTv.Steps.Models.ModelRegistry models) => Results.Ok(new ModelsView(models.Device.Name,
            models.Models.Select(m => new ModelView(m.Name, m.Kind, m.Checkpoint, m.Device, m.DType, m.Parameters, m.Bytes)).ToList())));

        api.MapGet("/log", (LogRing ring, int? n) => Results.Ok(ring.Last(Math.Clamp(n ?? 50, 1, LogRing.Capacity))));

        api.MapGet("/components/{name}", (string name, ComponentRegistry components) =>
            components.Find(name) is { } component ? Results.Ok(component.Report()) : Results.NotFound(new ErrorBody(
                $"no component '{name}'; known: {string.Join(", ", components.Names)}")));
    }

    public static async Task<ClusterView> ClusterStateAsync(ActorSystem system, CancellationToken ct)
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var loads = await NodeLoadsAsync(system, ct);
        return new ClusterView(cluster.SelfAddress.ToString(), state.Leader?.ToString(),
            state.Members.Select(m =>
            {
                var load = loads.GetValueOrDefault(NodeLoadKeys.NodeKey(m.Address));
                return new MemberView(m.Address.ToString(), m.Status.ToString().ToLowerInvariant(), m.Roles.Order().ToList(),
                    !unreachable.Contains(m.Address), load?.FreeDiskBytes, load?.At);
            }).ToList(),
            unreachable.Select(a => a.ToString()).Order().ToList());
    }

    /// <summary>What each worker last reported of itself (DistributedData, read locally: no round trip).</summary>
    private static async Task<IReadOnlyDictionary<string, NodeLoad>> NodeLoadsAsync(ActorSystem system, CancellationToken ct)
    {
        try
        {
            var reply = await DistributedData.Get(system).Replicator.Ask<IGetResponse>(
                Dsl.Get(NodeLoadKeys.Loads, ReadLocal.Instance), TimeSpan.FromSeconds(2), ct);
            return reply is GetSuccess ok ? ok.Get(NodeLoadKeys.Loads).Entries : new Dictionary<string, NodeLoad>();
        }
        catch (AskTimeoutException) { return new Dictionary<string, NodeLoad>(); }
    }

    private static string HostPort(Address a) => $"{a.Host}:{a.Port}";

    private static IActorRef? Region(ActorSystem system, string type)
    {
        var sharding = ClusterSharding.Get(system);
        return sharding.ShardTypeNames.Contains(type) ? sharding.ShardRegion(type) : null;
    }

    private static IResult UnknownType(ActorSystem system, string type) => Results.NotFound(new ErrorBody(
        $"no shard region of type '{type}' on this node; types: {string.Join(", ", ClusterSharding.Get(system).ShardTypeNames.Order())}"));

    private static async Task<IActorRef?> ResolveLocal(ActorSystem system, string path, CancellationToken ct)
    {
        if (path.Trim('/') == "") return ((ExtendedActorSystem)system).Provider.RootGuardian;
        try { return await system.ActorSelection(path.StartsWith('/') ? path : "/" + path).ResolveOne(QueryTimeout, ct); }
        catch (ActorNotFoundException) { return null; }
    }

    // Children are read from the local actor cells rather than probed with Identify: the tree is exact at the
    // moment it is read, and no message reaches the (possibly busy) actors being listed.
    private static ActorNode Tree(IActorRef actor, int depth)
    {
        var children = depth > 0 && actor is ActorRefWithCell cell
            ? cell.Children.OrderBy(c => c.Path.Name).Select(c => Tree(c, depth - 1)).ToList()
            : [];
        var path = actor.Path.ToStringWithoutAddress();
        return new ActorNode(path, actor.Path.Name, children);
    }
}
