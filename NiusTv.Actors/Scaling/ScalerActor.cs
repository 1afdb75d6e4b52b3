using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.DistributedData;
using Akka.Hosting;
using NiusTv.Actors.Sharding;

namespace NiusTv.Actors.Scaling;

public static class ScalerProtocol
{
    public sealed record GetScalingView;

    /// <param name="Host">the node the singleton runs on now.</param>
    /// <param name="InFlight">stories in flight across the workers, from their last load reports.</param>
    public sealed record ScalingView(string Host, IReadOnlyList<string> Workers, int InFlight);
}

/// <summary>The one place in the cluster that sees the whole load: today it answers what the workers report; the
/// scaling issue will decide here when to add or drain nodes. A cluster singleton on the `scaler` role, so it moves
/// to another scaler node when its node dies.</summary>
public sealed class ScalerActor : ReceiveActor
{
    public const string Role = "scaler";

    public ScalerActor()
    {
        var cluster = Cluster.Get(Context.System);
        var replicator = DistributedData.Get(Context.System).Replicator;

        ReceiveAsync<ScalerProtocol.GetScalingView>(async _ =>
        {
            var replyTo = Sender;
            var workers = cluster.State.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole("worker"))
                .Select(m => m.Address.ToString()).Order(StringComparer.Ordinal).ToList();
            var response = await replicator.Ask<IGetResponse>(Dsl.Get(NodeLoadKeys.Loads, ReadLocal.Instance), TimeSpan.FromSeconds(2));
            IReadOnlyDictionary<string, NodeLoad> loads = response is GetSuccess ok ? ok.Get(NodeLoadKeys.Loads).Entries : new Dictionary<string, NodeLoad>();
            var inFlight = workers.Sum(w => loads.TryGetValue(w, out var l) ? l.InFlight : 0);
            replyTo.Tell(new ScalerProtocol.ScalingView(cluster.SelfAddress.ToString(), workers, inFlight));
        });
    }
}

public static class ScalerHosting
{
    /// <summary>Runs the scaler singleton on nodes with the `scaler` role; every node gets a proxy, registered under
    /// <see cref="ScalerActor"/>, that follows it when it moves.</summary>
    public static AkkaConfigurationBuilder AddScaler(this AkkaConfigurationBuilder builder, bool hasScalerRole) =>
        hasScalerRole
            ? builder.WithSingleton<ScalerActor>("scaler", Props.Create(() => new ScalerActor()),
                new ClusterSingletonOptions { Role = ScalerActor.Role }, createProxyToo: true)
            : builder.WithSingletonProxy<ScalerActor>("scaler", new ClusterSingletonOptions { Role = ScalerActor.Role });
}
