using Polly;
using Polly.Retry;

namespace NiusTv.Steps.Cloud;

/// <summary>The one retry policy of every call to a Google service (Cloud Storage, GKE, Pub/Sub, the status topic):
/// exponential backoff with jitter on what the caller calls transient, built as a Polly pipeline. Delays run on a
/// <see cref="TimeProvider"/>, so tests pass zero delays or a fake clock instead of sleeping.</summary>
/// <param name="Attempts">tries per call, the first included; at least 1 (no retry).</param>
/// <param name="FirstDelay">the wait before the second try; each later one doubles, up to <paramref name="MaxDelay"/>.</param>
/// <remarks>Store calls run inside a step, and the story actor retries a failed step with its own RetryPolicy: so a
/// store retries <see cref="Store"/>'s few times within seconds and then fails the step as retryable, rather than
/// waiting out an outage the story's policy already waits for (the two would multiply).</remarks>
public sealed record CloudRetry(int Attempts, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>Cloud Storage inside a step: 4 tries within about 1.5 s, then the story's policy takes over.</summary>
    public static readonly CloudRetry Store = new(4, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));

    /// <summary>Pub/Sub calls of the ingest loop, which tries again on its own after a failed call.</summary>
    public static readonly CloudRetry PubSub = new(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));

    /// <summary>Status changes must reach the topic in order: the publisher never gives up, backing off to 30 s.</summary>
    public static readonly CloudRetry Forever = new(int.MaxValue, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    /// <summary>Retries calls whose result or exception <paramref name="transient"/> accepts; after the last try
    /// its outcome (a result, or the exception) goes to the caller as it is.</summary>
    /// <param name="onRetry">told of each failed try and the wait before the next (for a log line).</param>
    public ResiliencePipeline<T> Pipeline<T>(Func<Outcome<T>, bool> transient, TimeProvider? time = null,
        Action<Outcome<T>, TimeSpan>? onRetry = null)
    {
        var builder = new ResiliencePipelineBuilder<T> { TimeProvider = time ?? TimeProvider.System };
        return Retries ? builder.AddRetry(Configure<RetryStrategyOptions<T>, T>(new RetryStrategyOptions<T>(), transient, onRetry)).Build() : builder.Build();
    }

    /// <summary>The same for calls of any result type, judged by their exception alone.</summary>
    public ResiliencePipeline Pipeline(Func<Exception, bool> transient, TimeProvider? time = null,
        Action<Exception, TimeSpan>? onRetry = null)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System };
        return Retries
            ? builder.AddRetry(Configure<RetryStrategyOptions, object>(new RetryStrategyOptions(), o => o.Exception is { } e && transient(e),
                onRetry is null ? null : (o, delay) => onRetry(o.Exception!, delay))).Build()
            : builder.Build();
    }

    private bool Retries => Attempts switch
    {
        < 1 => throw new ArgumentOutOfRangeException(nameof(Attempts), Attempts, "a call needs at least one try"),
        1 => false,
        _ => true,
    };

    private TOptions Configure<TOptions, T>(TOptions options, Func<Outcome<T>, bool> transient, Action<Outcome<T>, TimeSpan>? onRetry)
        where TOptions : RetryStrategyOptions<T>
    {
        options.MaxRetryAttempts = Attempts == int.MaxValue ? int.MaxValue : Attempts - 1;
        options.BackoffType = DelayBackoffType.Exponential;
        options.UseJitter = FirstDelay > TimeSpan.Zero;
        options.Delay = FirstDelay;
        options.MaxDelay = MaxDelay;
        // The caller giving up is never a reason to try again.
        options.ShouldHandle = args => ValueTask.FromResult(!args.Context.CancellationToken.IsCancellationRequested && transient(args.Outcome));
        options.OnRetry = args =>
        {
            onRetry?.Invoke(args.Outcome, args.RetryDelay);
            return ValueTask.CompletedTask;
        };
        return options;
    }
}
