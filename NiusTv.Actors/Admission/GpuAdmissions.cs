using Akka.Actor;
using Akka.DistributedData;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NiusTv.Steps.Render;

namespace NiusTv.Actors.Admission;

/// <summary>This node's GPUs, one <see cref="GpuAdmission"/> child per GPU. A request goes to the slot with the
/// fewest requests holding or waiting; releases are routed to the slot that took the request.</summary>
public sealed class GpuAdmissions : ReceiveActor
{
    public sealed record SlotLeft(string Slot, string RequestId);

    public GpuAdmissions(int slots, TimeSpan lease, bool shareCluster, TimeProvider? time = null)
    {
        var replicator = shareCluster ? DistributedData.Get(Context.System).Replicator : null;
        var children = Enumerable.Range(0, Math.Max(1, slots))
            .ToDictionary(i => $"gpu-{i}", i => Context.ActorOf(GpuAdmission.Create($"gpu-{i}", lease, replicator, time), $"gpu-{i}"));
        var load = children.Keys.ToDictionary(k => k, _ => 0);
        var assigned = new Dictionary<string, string>();

        Receive<GpuAdmissionProtocol.Acquire>(a =>
        {
            var slot = load.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;
            load[slot]++;
            assigned[a.RequestId] = slot;
            children[slot].Forward(a);
        });
        Receive<GpuAdmissionProtocol.Release>(r =>
        {
            if (assigned.TryGetValue(r.RequestId, out var slot)) children[slot].Forward(r);
        });
        Receive<SlotLeft>(l =>
        {
            if (assigned.Remove(l.RequestId)) load[l.Slot]--;
        });
        ReceiveAsync<GpuAdmissionProtocol.GetSlots>(async q =>
        {
            var reports = await Task.WhenAll(children.Values.Select(c => c.Ask<GpuSlotReport>(q, TimeSpan.FromSeconds(3))));
            Sender.Tell(reports.ToList());
        });
    }

    /// <param name="time">what leases are measured by; null: the wall clock.</param>
    public static Props Create(int slots, TimeSpan lease, bool shareCluster, TimeProvider? time = null) =>
        Props.Create(() => new GpuAdmissions(slots, lease, shareCluster, time));
}

public static class GpuAdmissionHosting
{
    /// <summary>Starts one admission actor per GPU (or CPU slot group) on this node and registers the router, which
    /// the container's <see cref="GpuAdmissionClient"/> (<see cref="AddGpuAdmissionClient"/>) finds in the registry.</summary>
    public static AkkaConfigurationBuilder AddGpuAdmission(this AkkaConfigurationBuilder builder, int slots, TimeSpan lease,
        TimeProvider? time = null) =>
        builder.WithActors((system, registry) =>
        {
            var router = system.ActorOf(GpuAdmissions.Create(slots, lease, shareCluster: true, time), "gpu-admission");
            registry.Register<GpuAdmissions>(router);
        });

    /// <summary>The steps' <see cref="IGpuAdmission"/>: built by the container like the steps that use it, it waits for
    /// the router <see cref="AddGpuAdmission"/> registers.</summary>
    public static IServiceCollection AddGpuAdmissionClient(this IServiceCollection services) =>
        services.AddSingleton<IGpuAdmission>(sp => new GpuAdmissionClient(sp.GetRequiredService<ActorRegistry>(), sp.GetRequiredService<ActorSystem>));

    /// <summary>Every slot of the cluster as last reported (this node's replica of the shared map).</summary>
    public static async Task<IReadOnlyList<GpuSlotReport>> ClusterSlotsAsync(ActorSystem system, TimeSpan timeout)
    {
        var response = await DistributedData.Get(system).Replicator.Ask<IGetResponse>(Dsl.Get(GpuKeys.Slots, ReadLocal.Instance), timeout);
        // A node that left keeps its last report in the map; show only the members of the cluster as it is now.
        var members = Akka.Cluster.Cluster.Get(system).State.Members.Select(m => m.Address.ToString()).ToHashSet();
        return response is GetSuccess ok
            ? ok.Get(GpuKeys.Slots).Entries.Values.Where(r => members.Contains(r.Node)).OrderBy(r => r.Node, StringComparer.Ordinal).ThenBy(r => r.Slot, StringComparer.Ordinal).ToList()
            : [];
    }
}
