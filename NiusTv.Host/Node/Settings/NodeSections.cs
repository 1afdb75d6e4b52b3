using System.Globalization;
using Microsoft.Extensions.Options;
using NiusTv.Actors.Scaling;
using NiusTv.Actors.Stories;
using NiusTv.Steps;
using NiusTv.Steps.Cloud;

namespace NiusTv.Host.Node.Settings;

public static class NodeSections
{
    /// <summary>The host's own sections, each as <see cref="Microsoft.Extensions.Options.IOptions{T}"/> validated on start
    /// (the steps' sections are registered by <see cref="NodeSteps"/>, Gke by the cloud clients, Telemetry by tracing).</summary>
    public static IServiceCollection AddNodeSections(this IServiceCollection services, NodeSettings node)
    {
        var configuration = node.Configuration;
        services.AddSection<NodeSection>(configuration);
        services.AddSection<PresentersSettings>(configuration);
        services.AddSection<LandmarksSettings>(configuration);
        services.AddSection<RetrySettings>(configuration);
        services.AddSection<WorkspaceSettings>(configuration);
        services.AddSection<PoolsSettings>(configuration);
        services.AddSection<IngestSettings>(configuration);
        services.AddSection<GpuSettings>(configuration);
        services.AddSection<KubernetesSettings>(configuration);
        services.AddSection<ScalerSettings>(configuration);
        services.AddSection<TrainSettings>(configuration);
        services.AddSection<BacklogSettings>(configuration);
        // The one rule across sections: the backlog subscription lives on the project the node ingests from.
        services.AddSingleton<IValidateOptions<BacklogSettings>>(new BacklogNeedsPubSub(node));
        return services;
    }

    private sealed class BacklogNeedsPubSub(NodeSettings node) : IValidateOptions<BacklogSettings>
    {
        public ValidateOptionsResult Validate(string? name, BacklogSettings backlog) =>
            backlog is { File: null or "", Subscription: { Length: > 0 } } && node.PubSubProject is not { Length: > 0 }
                ? ValidateOptionsResult.Fail("Backlog:Subscription: a backlog subscription needs --pubsub PROJECT")
                : ValidateOptionsResult.Success;
    }
}

/// <summary>Retry:* — how often and how patiently a retryable step failure is tried again.</summary>
public sealed class RetrySettings : INodeSection
{
    public static string Section => "Retry";

    public int MaxAttempts { get; set; } = 4;
    public double BaseDelaySeconds { get; set; } = 2;
    public double MaxDelaySeconds { get; set; } = 60;

    public RetryPolicy Policy => new(MaxAttempts, TimeSpan.FromSeconds(BaseDelaySeconds), TimeSpan.FromSeconds(MaxDelaySeconds));

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Workspace:* — how long a revision's workspace stays on the node, as "6h", "90m", "3d" or "hh:mm:ss".</summary>
public sealed class WorkspaceSettings : INodeSection
{
    public static string Section => "Workspace";

    public string? KeepCompletedFor { get; set; }
    public string? KeepFailedFor { get; set; }
    public string? SweepEvery { get; set; }

    public WorkspaceRetention Retention => Problems().FirstOrDefault() is { } problem ? throw problem : new(
        Durations.Parse(KeepCompletedFor) ?? WorkspaceRetention.Default.KeepCompletedFor,
        Durations.Parse(KeepFailedFor) ?? WorkspaceRetention.Default.KeepFailedFor,
        Durations.Parse(SweepEvery) ?? WorkspaceRetention.Default.SweepEvery);

    public IEnumerable<SettingsException> Problems()
    {
        foreach (var (key, value) in new[] { ("KeepCompletedFor", KeepCompletedFor), ("KeepFailedFor", KeepFailedFor), ("SweepEvery", SweepEvery) })
            if (Durations.Problem(value) is { } problem) yield return new("Workspace:" + key, problem);
        if (Durations.Parse(SweepEvery) is { } sweep && sweep < TimeSpan.FromSeconds(1)) yield return new("Workspace:SweepEvery", "at least 1 second");
    }
}

/// <summary>Pools:&lt;step&gt; — concurrent runs per step kind, over the size each step declares. Held as written: the
/// binder drops a dictionary entry it cannot convert, where a node must stop naming it.</summary>
public sealed class PoolsSettings : Dictionary<string, string>, INodeSection
{
    public static string Section => "Pools";

    public IReadOnlyDictionary<string, int> Sizes => Problems().FirstOrDefault() is { } problem ? throw problem
        : this.ToDictionary(p => p.Key, p => int.Parse(p.Value, CultureInfo.InvariantCulture));

    public IEnumerable<SettingsException> Problems() =>
        this.Where(p => !int.TryParse(p.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n <= 0)
            .Select(p => new SettingsException("Pools:" + p.Key, $"'{p.Value}' is not a positive number"));
}

/// <summary>Ingest:* — how much of the Pub/Sub subscription one node holds at a time.</summary>
public sealed class IngestSettings : INodeSection
{
    public static string Section => "Ingest";

    public int MaxOutstanding { get; set; } = 4;
    public int AckDeadlineSeconds { get; set; } = 30;
    /// <summary>Test hook: delay between pull and hand-over, so a crash test can kill the node while a message is
    /// pulled but not persisted. Leave at 0.</summary>
    public double HandOverDelaySeconds { get; set; }

    public IEnumerable<SettingsException> Problems()
    {
        if (MaxOutstanding <= 0) yield return new("Ingest:MaxOutstanding", $"'{MaxOutstanding}' is not a positive number");
        if (AckDeadlineSeconds is < 10 or > 600) yield return new("Ingest:AckDeadlineSeconds", "Pub/Sub accepts 10 to 600 seconds");
    }
}

/// <summary>Gpu:* — this node's render slots and how long one render may hold one.</summary>
public sealed class GpuSettings : INodeSection
{
    public static string Section => "Gpu";

    /// <summary>GPUs on this node, one admission actor each; 0 = none, then the heavy render gets CPU slot groups.</summary>
    public int Count { get; set; }
    /// <summary>Cores one CPU render is allowed on a GPU-less node: the node gets cores / this many render slots.</summary>
    public int CpuCoresPerSlot { get; set; } = 4;
    public double LeaseSeconds { get; set; } = 600;

    /// <summary>How many render slots this node admits: its GPUs, or groups of CPU cores when it has none.</summary>
    public int RenderSlots => Count > 0 ? Count : Math.Max(1, Environment.ProcessorCount / Math.Max(1, CpuCoresPerSlot));

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Kubernetes:* — how pods find each other with Node:Discovery kubernetes.</summary>
public sealed class KubernetesSettings : INodeSection
{
    public static string Section => "Kubernetes";

    public string LabelSelector { get; set; } = "app=nius";
    /// <summary>Null: the pod's own namespace.</summary>
    public string? Namespace { get; set; }
    public int RequiredContactPoints { get; set; } = 2;

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Telemetry:* — where story traces go.</summary>
public sealed class TelemetrySettings : INodeSection
{
    public static string Section => "Telemetry";

    /// <summary>Without it, traces are exported only when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set, and the
    /// exporter reads that (and its siblings) itself.</summary>
    public string? OtlpEndpoint { get; set; }

    public bool ExportsTraces => !string.IsNullOrEmpty(OtlpEndpoint) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Train:* — what `nius train presenter` reads besides its options.</summary>
public sealed class TrainSettings : INodeSection
{
    public static string Section => "Train";

    /// <summary>torchvision VGG-19 weights for the perceptual loss; null: none.</summary>
    public string? Vgg19Weights { get; set; }

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Scaler:* — the policy that sizes the GPU pool, and how often it decides.</summary>
public sealed class ScalerSettings : INodeSection
{
    private static readonly ScalingSettings Defaults = new();

    public static string Section => "Scaler";

    public int StoriesPerNode { get; set; } = Defaults.StoriesPerNode;
    public int Min { get; set; } = Defaults.Min;
    public int Max { get; set; } = Defaults.Max;
    public double UpCooldownSeconds { get; set; } = Defaults.UpCooldownOrDefault.TotalSeconds;
    public double DownCooldownSeconds { get; set; } = Defaults.DownCooldownOrDefault.TotalSeconds;
    public int DownHeadroom { get; set; } = Defaults.DownHeadroom;
    public double IdleMinutesBeforeZero { get; set; } = Defaults.IdleBeforeZeroOrDefault.TotalMinutes;
    public double IntervalSeconds { get; set; } = 30;

    public ScalingSettings Policy => new(StoriesPerNode, Min, Max, TimeSpan.FromSeconds(UpCooldownSeconds), TimeSpan.FromSeconds(DownCooldownSeconds),
        DownHeadroom, TimeSpan.FromMinutes(IdleMinutesBeforeZero));

    public TimeSpan Interval => TimeSpan.FromSeconds(IntervalSeconds);

    public IEnumerable<SettingsException> Problems()
    {
        string? policy = null;
        try { Policy.Validate(); }
        catch (ArgumentException e) { policy = e.Message; }
        if (policy is not null) yield return new("Scaler", policy);
        if (IntervalSeconds < 1) yield return new("Scaler:IntervalSeconds", "at least 1 second");
    }
}

/// <summary>Gke:* — the GKE node pool the scaler resizes; no project: its decisions are only logged.</summary>
public sealed class GkeSettings : INodeSection
{
    public static string Section => "Gke";

    public string? Project { get; set; }
    public string Location { get; set; } = "europe-west4-a";
    public string Cluster { get; set; } = "nius";
    public string NodePool { get; set; } = "gpu";
    /// <summary>Another GKE endpoint (a test server); default Google's, with Application Default Credentials.</summary>
    public string? Endpoint { get; set; }

    public GkeNodePoolRef? Pool => Project is { Length: > 0 } p ? new GkeNodePoolRef(p, Location, Cluster, NodePool) : null;

    public string? EndpointOrNull => string.IsNullOrEmpty(Endpoint) ? null : Endpoint;

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Backlog:* — where the scaler counts stories waiting: a subscription on the --pubsub project, or a file.</summary>
public sealed class BacklogSettings : INodeSection
{
    public static string Section => "Backlog";

    public string? Subscription { get; set; }
    public string? File { get; set; }

    public IEnumerable<SettingsException> Problems() => [];
}

/// <summary>Spans as written in configuration: "6h", "90m", "45s", "3d" or "hh:mm:ss"; never negative.</summary>
public static class Durations
{
    private static readonly Dictionary<char, double> Units = new() { ['s'] = 1, ['m'] = 60, ['h'] = 3600, ['d'] = 86400 };

    /// <summary>The span, or null when none is written; a value that is no span is null too (see <see cref="Problem"/>).</summary>
    public static TimeSpan? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var text = value.Trim();
        TimeSpan? span = text.Length > 1 && Units.TryGetValue(char.ToLowerInvariant(text[^1]), out var unit)
            && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
            ? TimeSpan.FromSeconds(n * unit)
            : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var t) ? t : null;
        return span is { } ok && ok >= TimeSpan.Zero ? ok : null;
    }

    public static string? Problem(string? value) =>
        string.IsNullOrWhiteSpace(value) || Parse(value) is not null ? null : $"'{value}' is not a duration: give e.g. 6h, 90m, 3d or 06:00:00";
}
