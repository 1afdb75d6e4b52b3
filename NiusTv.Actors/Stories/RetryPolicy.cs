namespace NiusTv.Actors.Stories;

/// <summary>Exponential backoff for transient step failures: a crashed tool or a busy disk usually recovers, but a
/// story must not retry forever and hide a real problem.</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static readonly RetryPolicy Default = new(4, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));

    /// <summary>Delay before attempt <paramref name="failedAttempt"/> + 1, or null when no attempt is left.</summary>
    public TimeSpan? DelayAfter(int failedAttempt)
    {
        if (failedAttempt >= MaxAttempts) return null;
        var ms = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, failedAttempt - 1));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }
}
