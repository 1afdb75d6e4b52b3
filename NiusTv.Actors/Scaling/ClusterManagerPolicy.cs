namespace NiusTv.Actors.Scaling;

public enum ClusterAction { Nothing, Create, Delete }

/// <param name="ClusterStatus">GKE's status of the cluster (PROVISIONING, RUNNING, RECONCILING, STOPPING, ERROR…);
/// null: there is no cluster.</param>
/// <param name="InFlight">stories running in the cluster; null: unknown.</param>
/// <param name="InFlightAsked">an admin endpoint is configured, so an unknown <paramref name="InFlight"/> means the
/// cluster did not answer (not that nobody asked).</param>
public sealed record ClusterInput(int Waiting, string? ClusterStatus, int? InFlight, bool InFlightAsked, DateTimeOffset Now);

public sealed record ClusterDecision(ClusterAction Action, string Reason, DateTimeOffset LastBusyAt);

/// <summary>The out-of-cluster manager's rule, as the seed system had it: a cluster exists only while stories wait
/// or run. Pure, so the loop around it only reads and calls GKE.</summary>
public static class ClusterManagerPolicy
{
    /// <param name="lastBusyAt">when a story last waited or ran (the manager starts the clock at its own start).</param>
    public static ClusterDecision Decide(ClusterInput input, DateTimeOffset lastBusyAt, TimeSpan idleBeforeDelete)
    {
        var busy = input.Waiting > 0 || input.InFlight > 0;
        var lastBusy = busy ? input.Now : lastBusyAt;
        ClusterDecision D(ClusterAction a, string why) => new(a, why, lastBusy);
        var load = $"{input.Waiting} waiting, {(input.InFlight is { } n ? n.ToString() : "unknown")} in flight";

        if (input.ClusterStatus is null)
            return input.Waiting > 0 ? D(ClusterAction.Create, $"{load}: no cluster, creating it") : D(ClusterAction.Nothing, $"{load}: no cluster, none needed");
        if (input.ClusterStatus is "PROVISIONING" or "STOPPING" or "RECONCILING")
            return D(ClusterAction.Nothing, $"{load}: the cluster is {input.ClusterStatus}, waiting for GKE");
        if (busy) return D(ClusterAction.Nothing, $"{load}: the cluster is working");
        // Asked but no answer: stories may be running; deleting the cluster would cut them short.
        if (input.InFlight is null && input.InFlightAsked)
            return D(ClusterAction.Nothing, $"{load}: the cluster did not say what runs in it; kept");
        var idle = input.Now - lastBusy;
        return idle >= idleBeforeDelete
            ? D(ClusterAction.Delete, $"{load}: idle for {idle.TotalMinutes:0.#} min (limit {idleBeforeDelete.TotalMinutes:0.#}), deleting the cluster")
            : D(ClusterAction.Nothing, $"{load}: idle for {idle.TotalMinutes:0.#} of {idleBeforeDelete.TotalMinutes:0.#} min before deleting");
    }
}
