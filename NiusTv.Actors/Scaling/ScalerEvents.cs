namespace NiusTv.Actors.Scaling;

/// <summary>Marker for the scaler's journaled events; bound to <see cref="ScalerEventSerializer"/>.</summary>
public interface IScalerEvent;

public static class ScalerEvents
{
    /// <summary>The pool's wanted size changed. <paramref name="LastBusyAt"/> carries the idle clock across failover.</summary>
    public sealed record Decided(DateTimeOffset At, ScalingAction Action, int From, int To, int Waiting, int InFlight, int BusyNodes,
        string Reason, DateTimeOffset? LastBusyAt) : IScalerEvent;

    /// <summary>The pool now has the decided size (GKE's operation finished, or, with no GKE configured, it was logged).</summary>
    public sealed record Applied(DateTimeOffset At, int To, string Target) : IScalerEvent;

    /// <summary>GKE refused or failed after its retries; the pool is taken to be still at <paramref name="From"/>.</summary>
    public sealed record ApplyFailed(DateTimeOffset At, int From, int To, string Error) : IScalerEvent;
}
