using System.Text.Json.Nodes;
using NiusTv.Actors.Scaling;
using NiusTv.Steps.Cloud;

namespace NiusTv.Host.Manager;

/// <param name="ClusterSpec">the GKE <c>Cluster</c> resource to create (deploy/gke/cluster.json), its name the cluster's.</param>
public sealed record ClusterManagerSettings(string Project, string Location, JsonObject ClusterSpec, TimeSpan IdleBeforeDelete, TimeSpan Interval)
{
    public string Cluster => ClusterSpec["name"]?.GetValue<string>() ?? throw new ArgumentException("the cluster spec has no name");
}

/// <summary>`nius cluster-manager`: outside the cluster (a small VM or Cloud Run job), it creates the GKE cluster when
/// stories wait and deletes it when none wait or run for <see cref="ClusterManagerSettings.IdleBeforeDelete"/>. The
/// cluster's own scaler sizes the GPU pool in between.</summary>
public sealed class ClusterManager(ClusterManagerSettings settings, GkeClient gke, IBacklog backlog,
    Func<CancellationToken, Task<int?>>? inFlight, Action<string> log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private DateTimeOffset _lastBusyAt = (time ?? TimeProvider.System).GetUtcNow();

    /// <summary>One look and, when called for, one GKE call (waited to its end).</summary>
    public async Task<ClusterDecision> StepAsync(CancellationToken ct)
    {
        var waiting = await backlog.WaitingAsync(ct);
        var cluster = await gke.GetClusterAsync(settings.Project, settings.Location, settings.Cluster, ct);
        var status = cluster?["status"]?.GetValue<string>();
        int? running = null;
        if (inFlight is not null && status == "RUNNING")
        {
            try { running = await inFlight(ct); }
            catch (Exception e) when (e is not OperationCanceledException) { log("the cluster's admin endpoint did not answer: " + e.Message); }
        }
        var decision = ClusterManagerPolicy.Decide(new ClusterInput(waiting, status, running, inFlight is not null && status == "RUNNING", _time.GetUtcNow()),
            _lastBusyAt, settings.IdleBeforeDelete);
        _lastBusyAt = decision.LastBusyAt;
        log(decision.Reason);
        switch (decision.Action)
        {
            case ClusterAction.Create:
                await gke.CreateClusterAsync(settings.Project, settings.Location, settings.ClusterSpec, ct);
                log($"cluster {settings.Cluster} is running");
                break;
            case ClusterAction.Delete:
                await gke.DeleteClusterAsync(settings.Project, settings.Location, settings.Cluster, ct);
                log($"cluster {settings.Cluster} is deleted");
                break;
        }
        return decision;
    }

    /// <summary>Steps every interval until cancelled; a failing step is logged and the next one tries again.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await StepAsync(ct); }
            catch (Exception e) when (e is GkeException or HttpRequestException or FormatException or PubSubException) { log("error: " + e.Message); }
            try { await Task.Delay(settings.Interval, ct); }
            catch (OperationCanceledException) { return; }
        }
    }
}
