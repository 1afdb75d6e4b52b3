namespace NiusTv.Actors.Scaling;

/// <param name="StoriesPerNode">stories one GPU node works on at once.</param>
/// <param name="Min">floor of the pool while the cluster has had work within <paramref name="IdleBeforeZero"/>.</param>
/// <param name="Max">ceiling of the pool: the budget.</param>
/// <param name="UpCooldown">after any change, how long before the next scale-up: a resize GKE is still applying is
/// not asked for again. Short, because a GPU node takes ~9 minutes to start and every minute waited adds to that.</param>
/// <param name="DownCooldown">after any change, how long before a scale-down: longer than a node's start, so a node
/// that was just asked for is not given back before it could take work.</param>
/// <param name="DownHeadroom">stories of slack kept before shrinking (hysteresis): the pool shrinks only when the
/// demand plus this slack fits in fewer nodes, so a demand that wobbles around a node boundary does not flap.</param>
/// <param name="IdleBeforeZero">no story waiting or in flight for this long: the pool goes to zero, below
/// <paramref name="Min"/>; until then an idle pool keeps one node warm.</param>
public sealed record ScalingSettings(
    int StoriesPerNode = 2,
    int Min = 0,
    int Max = 4,
    TimeSpan? UpCooldown = null,
    TimeSpan? DownCooldown = null,
    int DownHeadroom = 1,
    TimeSpan? IdleBeforeZero = null)
{
    public TimeSpan UpCooldownOrDefault => UpCooldown ?? TimeSpan.FromMinutes(1);
    public TimeSpan DownCooldownOrDefault => DownCooldown ?? TimeSpan.FromMinutes(12);
    public TimeSpan IdleBeforeZeroOrDefault => IdleBeforeZero ?? TimeSpan.FromMinutes(20);

    public void Validate()
    {
        if (StoriesPerNode < 1) throw new ArgumentException("Scaler:StoriesPerNode must be at least 1");
        if (Min < 0 || Max < Min) throw new ArgumentException($"Scaler:Min ({Min}) and Scaler:Max ({Max}) need 0 <= Min <= Max");
        if (DownHeadroom < 0) throw new ArgumentException("Scaler:DownHeadroom must not be negative");
    }
}

/// <param name="Waiting">stories published but not yet taken by a worker (the subscription's backlog).</param>
/// <param name="InFlight">stories running on the workers.</param>
/// <param name="BusyNodes">worker nodes with at least one story in flight: these are never given back.</param>
public sealed record ScalingInput(int Waiting, int InFlight, int BusyNodes, DateTimeOffset Now);

/// <summary>What the policy remembers between decisions; rebuilt from the scaler's journal after a failover.</summary>
/// <param name="Target">the pool size last decided (what GKE was asked for).</param>
/// <param name="LastChangeAt">when <paramref name="Target"/> last changed; null: never.</param>
/// <param name="LastBusyAt">when a story last waited or ran; null: not since this memory began.</param>
public sealed record ScalingMemory(int Target, DateTimeOffset? LastChangeAt, DateTimeOffset? LastBusyAt)
{
    public static readonly ScalingMemory Initial = new(0, null, null);
}

public enum ScalingAction { Hold, Up, Down }

/// <param name="Reason">a sentence an operator can read in `nius scaler show`.</param>
public sealed record ScalingDecision(ScalingAction Action, int From, int To, string Reason, ScalingMemory Memory);

/// <summary>The wanted size of the GPU pool. Pure: the scaler actor feeds it the load and journals what it decides,
/// so the rules here are testable without a cluster and survive a failover through the journal.</summary>
public static class ScalingPolicy
{
    public static ScalingDecision Decide(ScalingSettings s, ScalingMemory memory, ScalingInput input)
    {
        var demand = input.Waiting + input.InFlight;
        var lastBusy = demand > 0 ? input.Now : memory.LastBusyAt;
        var current = memory.Target;
        var sinceChange = memory.LastChangeAt is { } changed ? input.Now - changed : TimeSpan.MaxValue;
        var load = $"{input.Waiting} waiting, {input.InFlight} in flight";

        ScalingDecision Hold(string why) => new(ScalingAction.Hold, current, current, why, memory with { LastBusyAt = lastBusy });
        ScalingDecision Change(int to, string why) => new(to > current ? ScalingAction.Up : ScalingAction.Down, current, to, why,
            new ScalingMemory(to, input.Now, lastBusy));

        // Waiting stories count as much as running ones: a node asked for now is ready in ~9 minutes, by which time
        // the waiting stories would otherwise still wait.
        var needed = Math.Clamp(Ceil(demand, s.StoriesPerNode), s.Min, s.Max);
        if (demand == 0)
        {
            // With no record of work at all (a fresh scaler), the idle clock starts now rather than at the epoch.
            var idleFor = input.Now - (lastBusy ?? memory.LastChangeAt ?? input.Now);
            if (lastBusy is null && memory.LastChangeAt is null) lastBusy = input.Now;
            // Until the idle period passes, one node stays warm: the next story then starts at once instead of
            // after a ~9 minute node start.
            needed = idleFor >= s.IdleBeforeZeroOrDefault ? 0 : Math.Max(s.Min, Math.Min(current, 1));
        }

        if (needed > current)
        {
            if (sinceChange < s.UpCooldownOrDefault)
                return Hold($"{load}: {needed} nodes wanted, but the last change was {Seconds(sinceChange)} ago (up cooldown {Seconds(s.UpCooldownOrDefault)})");
            var capped = needed == s.Max && Ceil(demand, s.StoriesPerNode) > s.Max ? $" (capped at max {s.Max})" : "";
            return Change(needed, $"{load}: {demand} stories at {s.StoriesPerNode} per node need {needed} nodes{capped}");
        }

        if (needed < current)
        {
            // Hysteresis: shrink only if the demand plus headroom still fits in the smaller pool; going to zero after
            // the idle period needs no headroom, there is nothing left to protect.
            var withHeadroom = needed == 0 ? 0 : Math.Clamp(Ceil(demand + s.DownHeadroom, s.StoriesPerNode), s.Min, s.Max);
            // Busy nodes hold stories whose workspaces are on their local SSD: only idle ones are given back.
            var to = Math.Max(withHeadroom, input.BusyNodes);
            if (to >= current)
                return Hold(input.BusyNodes >= current
                    ? $"{load}: {needed} nodes would do, but {input.BusyNodes} nodes are busy and only idle nodes are given back"
                    : $"{load}: {needed} nodes would do, keeping {current} for {s.DownHeadroom} stories of headroom");
            if (sinceChange < s.DownCooldownOrDefault)
                return Hold($"{load}: {to} nodes would do, but the last change was {Seconds(sinceChange)} ago (down cooldown {Seconds(s.DownCooldownOrDefault)})");
            return Change(to, to == 0
                ? $"no story waiting or in flight for {Seconds(input.Now - (memory.LastBusyAt ?? memory.LastChangeAt ?? input.Now))}: scale to zero"
                : $"{load}: {current - to} idle nodes given back");
        }

        return Hold(demand == 0 && current == 0 ? "idle at zero" : $"{load}: {current} nodes fit");
    }

    private static int Ceil(int stories, int perNode) => (stories + perNode - 1) / perNode;

    private static string Seconds(TimeSpan t) => t == TimeSpan.MaxValue ? "never" : $"{t.TotalSeconds:0} s";
}
