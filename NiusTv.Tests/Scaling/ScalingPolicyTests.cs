using NiusTv.Actors.Scaling;
using Xunit;

namespace NiusTv.Tests.Scaling;

public sealed class ScalingPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);
    private static readonly ScalingSettings Settings = new(StoriesPerNode: 2, Min: 0, Max: 4,
        UpCooldown: TimeSpan.FromMinutes(1), DownCooldown: TimeSpan.FromMinutes(12), DownHeadroom: 1, IdleBeforeZero: TimeSpan.FromMinutes(20));

    /// <summary>One row: the pool at <c>target</c>, last changed <c>changedAgo</c> minutes ago (null: never), last busy
    /// <c>busyAgo</c> minutes ago; then the load; then what the policy must want.</summary>
    public static TheoryData<string, int, int?, int?, int, int, int, ScalingAction, int> Rows => new()
    {
        { "a fresh idle scaler stays at zero", 0, null, null, 0, 0, 0, ScalingAction.Hold, 0 },
        { "one waiting story starts one node at once", 0, null, null, 1, 0, 0, ScalingAction.Up, 1 },
        { "waiting and in flight both count, rounded up", 1, 30, 0, 3, 2, 1, ScalingAction.Up, 3 },
        { "never above max", 1, 30, 0, 40, 2, 1, ScalingAction.Up, 4 },
        { "no second scale-up within the up cooldown", 1, 0, 0, 6, 0, 0, ScalingAction.Hold, 1 },
        { "scale-up once the up cooldown passed", 1, 2, 0, 6, 0, 0, ScalingAction.Up, 3 },
        { "no scale-down within the down cooldown", 3, 5, 0, 0, 1, 1, ScalingAction.Hold, 3 },
        { "scale-down after the down cooldown, keeping headroom", 3, 15, 0, 0, 2, 1, ScalingAction.Down, 2 },
        { "headroom: 4 stories on 3 nodes stay on 3 (4+1 needs 3)", 3, 15, 0, 1, 3, 2, ScalingAction.Hold, 3 },
        { "busy nodes are never given back", 3, 15, 0, 0, 3, 3, ScalingAction.Hold, 3 },
        { "only the idle nodes go", 4, 15, 0, 0, 3, 3, ScalingAction.Down, 3 },
        { "idle within the idle period: one node stays warm", 2, 15, 5, 0, 0, 0, ScalingAction.Down, 1 },
        { "idle within the idle period at one node: hold", 1, 15, 5, 0, 0, 0, ScalingAction.Hold, 1 },
        { "idle for the idle period: zero", 1, 30, 25, 0, 0, 0, ScalingAction.Down, 0 },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Decides(string why, int target, int? changedAgo, int? busyAgo, int waiting, int inFlight, int busyNodes,
        ScalingAction action, int to)
    {
        var memory = new ScalingMemory(target, changedAgo is { } c ? T0.AddMinutes(-c) : null, busyAgo is { } b ? T0.AddMinutes(-b) : null);
        var d = ScalingPolicy.Decide(Settings, memory, new ScalingInput(waiting, inFlight, busyNodes, T0));
        Assert.True((action, to) == (d.Action, d.To), $"{why}: got {d.Action} to {d.To} ({d.Reason})");
        Assert.False(string.IsNullOrWhiteSpace(d.Reason));
        Assert.Equal(d.To, d.Memory.Target);
    }

    [Fact]
    public void Min_is_kept_while_recently_busy_and_left_for_zero_after_the_idle_period()
    {
        var s = Settings with { Min = 1 };
        var recent = ScalingPolicy.Decide(s, new ScalingMemory(1, T0.AddMinutes(-30), T0.AddMinutes(-5)), new ScalingInput(0, 0, 0, T0));
        Assert.Equal((ScalingAction.Hold, 1), (recent.Action, recent.To));
        var idle = ScalingPolicy.Decide(s, new ScalingMemory(1, T0.AddMinutes(-30), T0.AddMinutes(-21)), new ScalingInput(0, 0, 0, T0));
        Assert.Equal((ScalingAction.Down, 0), (idle.Action, idle.To));
    }

    [Fact]
    public void A_wobbling_demand_does_not_flap()
    {
        // Demand alternates 3, 4, 3, 4 stories every minute for an hour: the pool settles and stays.
        var memory = ScalingMemory.Initial;
        var changes = 0;
        for (var minute = 0; minute < 60; minute++)
        {
            var stories = minute % 2 == 0 ? 3 : 4;
            var d = ScalingPolicy.Decide(Settings, memory, new ScalingInput(0, stories, Math.Min(stories, memory.Target), T0.AddMinutes(minute)));
            if (d.Action != ScalingAction.Hold) changes++;
            memory = d.Memory;
        }
        Assert.Equal(1, changes);
        Assert.Equal(2, memory.Target);
    }

    [Fact]
    public void Idle_time_counts_from_the_last_busy_moment_not_from_the_last_change()
    {
        var memory = ScalingMemory.Initial;
        memory = ScalingPolicy.Decide(Settings, memory, new ScalingInput(2, 0, 0, T0)).Memory;
        Assert.Equal(1, memory.Target);
        memory = ScalingPolicy.Decide(Settings, memory, new ScalingInput(0, 1, 1, T0.AddMinutes(30))).Memory;
        var early = ScalingPolicy.Decide(Settings, memory, new ScalingInput(0, 0, 0, T0.AddMinutes(45)));
        Assert.Equal(ScalingAction.Hold, early.Action);
        var late = ScalingPolicy.Decide(Settings, early.Memory, new ScalingInput(0, 0, 0, T0.AddMinutes(51)));
        Assert.Equal((ScalingAction.Down, 0), (late.Action, late.To));
    }
}
