using NiusTv.Actors.Scaling;
using static NiusTv.Actors.Scaling.ScalerEvents;

namespace NiusTv.Host.Admin;

/// <summary>One line of the scaler's history as `nius scaler show --json` prints it.</summary>
/// <param name="Event">decided, applied or failed.</param>
/// <param name="Reason">why (decided), where it went (applied), or GKE's error (failed).</param>
public sealed record ScalerDecisionRow(DateTimeOffset At, string Event, string? Action, int? From, int To, string Reason);

/// <summary>What `nius scaler show` prints: where the singleton runs, what it resizes, the pool's target, what it
/// thinks now (also when it holds), and the journaled decisions, newest last.</summary>
public sealed record ScalerReport(string Host, string Pool, int Target, DateTimeOffset? LastChangeAt, int Waiting, int InFlight,
    IReadOnlyList<string> Workers, string? Now, IReadOnlyList<ScalerDecisionRow> Decisions)
{
    public static ScalerReport From(ScalerProtocol.ScalingView v) => new(v.Host, v.Pool, v.Target, v.LastChangeAt, v.Waiting, v.InFlight,
        v.Workers, v.Now, v.Decisions.Select(e => e switch
        {
            Decided d => new ScalerDecisionRow(d.At, "decided", d.Action.ToString().ToLowerInvariant(), d.From, d.To, d.Reason),
            Applied a => new ScalerDecisionRow(a.At, "applied", null, null, a.To, a.Target),
            ApplyFailed f => new ScalerDecisionRow(f.At, "failed", null, f.From, f.To, f.Error),
            _ => new ScalerDecisionRow(DateTimeOffset.MinValue, e.GetType().Name, null, null, 0, ""),
        }).ToList());
}
