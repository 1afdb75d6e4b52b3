using Akka.Actor;
using Akka.Hosting;
using NiusTv.Actors.Admission;
using NiusTv.Actors.Ingest;
using Prometheus;

namespace NiusTv.Host.Telemetry;

/// <summary>Metrics of the node's GPU admission and Pub/Sub ingest. Values are read from the components themselves
/// just before a scrape (queue depth, counts) or observed as they happen (grant waits), never estimated.</summary>
public static class ComponentMetrics
{
    public static readonly Gauge GpuQueueDepth = Metrics.CreateGauge("niustv_gpu_queue_depth",
        "Requests waiting for each GPU (or CPU render slot) of this node.", new GaugeConfiguration { LabelNames = ["slot"] });

    public static readonly Gauge GpuHeld = Metrics.CreateGauge("niustv_gpu_held",
        "1 while the slot is granted to a holder.", new GaugeConfiguration { LabelNames = ["slot"] });

    public static readonly Gauge GpuLongestWait = Metrics.CreateGauge("niustv_gpu_longest_wait_seconds",
        "How long the oldest waiting request of the slot has waited.", new GaugeConfiguration { LabelNames = ["slot"] });

    public static readonly Histogram GpuWait = Metrics.CreateHistogram("niustv_gpu_wait_seconds",
        "Time from asking for a GPU to getting it, by priority.",
        new HistogramConfiguration { LabelNames = ["priority"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 16) });

    public static readonly Counter IngestMessages = Metrics.CreateCounter("niustv_ingest_messages_total",
        "Pub/Sub messages by outcome: received, accepted (new revision), revision (of those, not the first), duplicate, rejected (dead-lettered), nacked.",
        new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Gauge IngestOutstanding = Metrics.CreateGauge("niustv_ingest_outstanding",
        "Messages pulled and not yet acknowledged (bounded by Ingest:MaxOutstanding).");

    /// <summary>Refreshes the gauges and counters of this node's components before each scrape.</summary>
    public static void Export(ActorSystem system, ActorRegistry registry)
    {
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            foreach (var slot in (await GpuAdmissionHosting.ClusterSlotsAsync(system, TimeSpan.FromSeconds(2))).Where(s => s.Node == self))
            {
                GpuQueueDepth.WithLabels(slot.Slot).Set(slot.Queued);
                GpuHeld.WithLabels(slot.Slot).Set(slot.Holder is null ? 0 : 1);
                GpuLongestWait.WithLabels(slot.Slot).Set(slot.LongestWaitSeconds);
            }
            if (registry.TryGet<IngestActor>(out var ingest))
            {
                var stats = await ingest.Ask<IngestStats>(IngestQueries.GetIngestStats.Instance, TimeSpan.FromSeconds(2), ct);
                IngestMessages.WithLabels("received").IncTo(stats.Received);
                IngestMessages.WithLabels("accepted").IncTo(stats.Accepted);
                IngestMessages.WithLabels("revision").IncTo(stats.Revisions);
                IngestMessages.WithLabels("duplicate").IncTo(stats.Duplicates);
                IngestMessages.WithLabels("rejected").IncTo(stats.Rejected);
                IngestMessages.WithLabels("nacked").IncTo(stats.Nacked);
                IngestOutstanding.Set(stats.Outstanding);
            }
        });
    }

    public static void Observe(GpuAdmissionProtocol.GrantNotice grant) =>
        GpuWait.WithLabels(grant.Priority.ToString().ToLowerInvariant()).Observe(grant.Waited.TotalSeconds);
}
