using System.Net;
using Microsoft.Extensions.Configuration;
using NiusTv.Actors.Scaling;
using NiusTv.Steps.Cloud;

namespace NiusTv.Host.Node;

/// <summary>Everything a node needs to start, resolved from (lowest to highest precedence) built-in defaults,
/// appsettings.json, --config FILE, NIUSTV__Section__Key variables and command-line options.</summary>
public sealed record NodeSettings
{
    public string DataDir { get; init; } = "data";
    public string Assets { get; init; } = "samples";
    public string Out { get; init; } = "out";
    public string Admin { get; init; } = "127.0.0.1:9110";
    public string? AdminToken { get; init; }
    /// <summary>OTLP endpoint for story traces (Telemetry:OtlpEndpoint). Without it, traces are exported only when
    /// the standard OTEL_EXPORTER_OTLP_ENDPOINT is set, and the exporter reads that (and its siblings) itself.</summary>
    public string? OtlpEndpoint { get; init; }

    public bool ExportsTraces => !string.IsNullOrEmpty(OtlpEndpoint) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
    public string? Journal { get; init; }
    public string Hostname { get; init; } = "127.0.0.1";
    public int Port { get; init; }
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public IReadOnlyList<string> Roles { get; init; } = ["worker", "scaler"];
    public string SpeechBackend { get; init; } = "auto";
    /// <summary>Phonemes:Lexicon, the node's user lexicon (word PH PH … lines) that wins over dictionary and model.</summary>
    public string? PhonemesLexicon { get; init; }
    /// <summary>Phonemes:Dictionary, the CMU pronouncing dictionary (default Debian's pocketsphinx-en-us copy).</summary>
    public string? PhonemesDictionary { get; init; }
    /// <summary>Phonemes:Model, the g2p model folder (default the shipped models/g2p).</summary>
    public string? PhonemesModel { get; init; }
    public double TitleCardSeconds { get; init; } = 2.0;
    public string X264Preset { get; init; } = "veryfast";
    public int RetryMaxAttempts { get; init; } = 4;
    public double RetryBaseDelaySeconds { get; init; } = 2;
    public double RetryMaxDelaySeconds { get; init; } = 60;
    public IReadOnlyDictionary<string, int> PoolSizes { get; init; } = new Dictionary<string, int>();
    /// <summary>Google Cloud project to ingest from (`--pubsub`); null: stories come only through the admin endpoint.</summary>
    public string? PubSubProject { get; init; }
    /// <summary>Cloud Storage endpoint (Storage:Endpoint), e.g. a test server; else STORAGE_EMULATOR_HOST, else Google.</summary>
    public string? StorageEndpoint { get; init; }
    public int IngestMaxOutstanding { get; init; } = 4;
    public int IngestAckDeadlineSeconds { get; init; } = 30;
    /// <summary>Test hook (Ingest:HandOverDelaySeconds): delay between pull and hand-over, so a crash test can kill
    /// the node while a message is pulled but not persisted. Leave at 0.</summary>
    public double IngestHandOverDelaySeconds { get; init; }
    /// <summary>GPUs on this node, one admission actor each; 0 = none, then the heavy render gets CPU slot groups.</summary>
    public int GpuCount { get; init; }
    /// <summary>Cores one CPU render is allowed on a GPU-less node: the node gets cores / this many render slots.</summary>
    public int CpuCoresPerRenderSlot { get; init; } = 4;
    public double GpuLeaseSeconds { get; init; } = 600;
    public ScalerConfig Scaler { get; init; } = new();
    /// <summary>How the node finds its cluster: "seeds" (Node:Seeds, or itself) or "kubernetes" (Akka.Management
    /// cluster bootstrap over the Kubernetes API; the pod's ports must be named `management` and `akka-remote`).</summary>
    public string Discovery { get; init; } = "seeds";
    public int ManagementPort { get; init; } = 8558;
    public string KubernetesLabelSelector { get; init; } = "app=nius";
    public string? KubernetesNamespace { get; init; }
    public int KubernetesRequiredContactPoints { get; init; } = 2;

    /// <summary>How many render slots this node admits: its GPUs, or groups of CPU cores when it has none.</summary>
    public int RenderSlots => GpuCount > 0 ? GpuCount : Math.Max(1, Environment.ProcessorCount / Math.Max(1, CpuCoresPerRenderSlot));

    public string DataPath => Path.GetFullPath(DataDir);
    /// <summary>--assets and --out as shown and used: a gs:// location as given, a folder as a full path.</summary>
    public string AssetsLocation => IsGcs(Assets) ? Assets : Path.GetFullPath(Assets);
    public string OutLocation => IsGcs(Out) ? Out : Path.GetFullPath(Out);

    public static bool IsGcs(string location) => location.StartsWith("gs://", StringComparison.Ordinal);
    public string WorkspaceRoot => Path.Combine(DataPath, "workspaces");

    /// <summary>The journal as (provider, connection string). Default: SQLite in the data folder.</summary>
    public (string Kind, string Connection) JournalTarget
    {
        get
        {
            var spec = string.IsNullOrWhiteSpace(Journal) ? "sqlite:" + Path.Combine(DataPath, "nius.db") : Journal!;
            var colon = spec.IndexOf(':');
            var kind = colon < 0 ? "" : spec[..colon];
            var rest = colon < 0 ? "" : spec[(colon + 1)..];
            return kind switch
            {
                "sqlite" when rest.Length > 0 => ("sqlite", $"Data Source={Path.GetFullPath(rest)};Pooling=True"),
                "postgres" when rest.Length > 0 => ("postgres", rest),
                _ => throw new SettingsException("--journal", $"'{spec}' is not a journal: use sqlite:PATH or postgres:CONNECTIONSTRING"),
            };
        }
    }

    public IPEndPoint AdminEndPoint => ParseEndPoint(Admin, "--admin");

    public static IPEndPoint ParseEndPoint(string value, string option)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new SettingsException(option, $"'{value}' is not HOST:PORT");
        var host = value[..colon].Trim('[', ']');
        if (host == "localhost") return new IPEndPoint(IPAddress.Loopback, port);
        if (!IPAddress.TryParse(host, out var ip))
        {
            try { ip = Dns.GetHostAddresses(host).First(); }
            catch (Exception) { throw new SettingsException(option, $"the host '{host}' cannot be resolved"); }
        }
        return new IPEndPoint(ip, port);
    }

    /// <summary>Reads the "NiusTv" configuration tree: keys like Node:Data, Speech:Backend, Pools:compose.</summary>
    public static NodeSettings FromConfiguration(IConfiguration config)
    {
        var d = new NodeSettings();
        var node = config.GetSection("Node");
        var pools = config.GetSection("Pools").GetChildren()
            .ToDictionary(c => c.Key, c => int.TryParse(c.Value, out var n) && n > 0 ? n
                : throw new SettingsException("Pools:" + c.Key, $"'{c.Value}' is not a positive number"));
        return d with
        {
            DataDir = node["Data"] ?? d.DataDir,
            Assets = node["Assets"] ?? d.Assets,
            Out = node["Out"] ?? d.Out,
            Admin = node["Admin"] ?? d.Admin,
            AdminToken = node["AdminToken"] ?? d.AdminToken,
            OtlpEndpoint = config["Telemetry:OtlpEndpoint"] ?? d.OtlpEndpoint,
            Journal = node["Journal"] ?? d.Journal,
            Hostname = node["Hostname"] ?? d.Hostname,
            Port = Int(node, "Port", d.Port),
            Seeds = List(node, "Seeds") ?? d.Seeds,
            Roles = List(node, "Roles") ?? d.Roles,
            SpeechBackend = config["Speech:Backend"] ?? d.SpeechBackend,
            PhonemesLexicon = Text(config, "Phonemes:Lexicon") ?? d.PhonemesLexicon,
            PhonemesDictionary = Text(config, "Phonemes:Dictionary") ?? d.PhonemesDictionary,
            PhonemesModel = Text(config, "Phonemes:Model") ?? d.PhonemesModel,
            TitleCardSeconds = Double(config, "Compose:TitleCardSeconds", d.TitleCardSeconds),
            X264Preset = config["Compose:Preset"] ?? d.X264Preset,
            RetryMaxAttempts = Int(config, "Retry:MaxAttempts", d.RetryMaxAttempts),
            RetryBaseDelaySeconds = Double(config, "Retry:BaseDelaySeconds", d.RetryBaseDelaySeconds),
            RetryMaxDelaySeconds = Double(config, "Retry:MaxDelaySeconds", d.RetryMaxDelaySeconds),
            PoolSizes = pools,
            PubSubProject = node["PubSub"] ?? d.PubSubProject,
            StorageEndpoint = config["Storage:Endpoint"] ?? d.StorageEndpoint,
            IngestMaxOutstanding = Positive(config, "Ingest:MaxOutstanding", d.IngestMaxOutstanding),
            IngestAckDeadlineSeconds = Int(config, "Ingest:AckDeadlineSeconds", d.IngestAckDeadlineSeconds) is var ack and >= 10 and <= 600 ? ack
                : throw new SettingsException("Ingest:AckDeadlineSeconds", "Pub/Sub accepts 10 to 600 seconds"),
            IngestHandOverDelaySeconds = Double(config, "Ingest:HandOverDelaySeconds", d.IngestHandOverDelaySeconds),
            GpuCount = Int(config, "Gpu:Count", d.GpuCount),
            Discovery = node["Discovery"] is { } disc ? disc is "seeds" or "kubernetes" ? disc
                : throw new SettingsException("Node:Discovery", $"'{disc}' is not a discovery: use seeds or kubernetes") : d.Discovery,
            ManagementPort = Int(node, "ManagementPort", d.ManagementPort),
            KubernetesLabelSelector = config["Kubernetes:LabelSelector"] ?? d.KubernetesLabelSelector,
            KubernetesNamespace = config["Kubernetes:Namespace"] ?? d.KubernetesNamespace,
            KubernetesRequiredContactPoints = Int(config, "Kubernetes:RequiredContactPoints", d.KubernetesRequiredContactPoints),
            CpuCoresPerRenderSlot = Int(config, "Gpu:CpuCoresPerSlot", d.CpuCoresPerRenderSlot),
            GpuLeaseSeconds = Double(config, "Gpu:LeaseSeconds", d.GpuLeaseSeconds),
            Scaler = ScalerConfig.FromConfiguration(config),
        };
    }

    internal static string? Text(IConfiguration c, string key) => c[key] is { Length: > 0 } v ? v : null;
    internal static int IntOf(IConfiguration c, string key, int fallback) => Int(c, key, fallback);
    internal static double DoubleOf(IConfiguration c, string key, double fallback) => Double(c, key, fallback);

    private static IReadOnlyList<string>? List(IConfiguration c, string key)
    {
        var section = c.GetSection(key);
        var items = section.GetChildren().Select(x => x.Value!).Where(v => !string.IsNullOrEmpty(v)).ToList();
        if (items.Count > 0) return items;
        return section.Value is { Length: > 0 } csv ? csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
    }

    private static int Int(IConfiguration c, string key, int fallback) => c[key] is not { } v ? fallback
        : int.TryParse(v, out var n) ? n : throw new SettingsException(key, $"'{v}' is not a whole number");

    private static int Positive(IConfiguration c, string key, int fallback) =>
        Int(c, key, fallback) is var n and > 0 ? n : throw new SettingsException(key, $"'{c[key]}' is not a positive number");

    private static double Double(IConfiguration c, string key, double fallback) => c[key] is not { } v ? fallback
        : double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : throw new SettingsException(key, $"'{v}' is not a number");
}

/// <summary>The scaler (Scaler:*), the GKE node pool it resizes (Gke:*; no Gke:Project = decisions are only logged),
/// and where it reads the stories backlog (Backlog:Subscription on the --pubsub project, or Backlog:File).</summary>
public sealed record ScalerConfig
{
    public ScalingSettings Policy { get; init; } = new();
    public double IntervalSeconds { get; init; } = 30;
    public string? GkeProject { get; init; }
    public string GkeLocation { get; init; } = "europe-west4-a";
    public string GkeCluster { get; init; } = "nius";
    public string GkeNodePool { get; init; } = "gpu";
    /// <summary>Another GKE endpoint (a test server); default Google's, with Application Default Credentials.</summary>
    public string? GkeEndpoint { get; init; }
    public string? BacklogSubscription { get; init; }
    public string? BacklogFile { get; init; }

    public GkeNodePoolRef? Pool => GkeProject is { } p ? new GkeNodePoolRef(p, GkeLocation, GkeCluster, GkeNodePool) : null;

    public static ScalerConfig FromConfiguration(IConfiguration c)
    {
        var d = new ScalerConfig();
        var policy = new ScalingSettings(
            StoriesPerNode: NodeSettings.IntOf(c, "Scaler:StoriesPerNode", d.Policy.StoriesPerNode),
            Min: NodeSettings.IntOf(c, "Scaler:Min", d.Policy.Min),
            Max: NodeSettings.IntOf(c, "Scaler:Max", d.Policy.Max),
            UpCooldown: TimeSpan.FromSeconds(NodeSettings.DoubleOf(c, "Scaler:UpCooldownSeconds", d.Policy.UpCooldownOrDefault.TotalSeconds)),
            DownCooldown: TimeSpan.FromSeconds(NodeSettings.DoubleOf(c, "Scaler:DownCooldownSeconds", d.Policy.DownCooldownOrDefault.TotalSeconds)),
            DownHeadroom: NodeSettings.IntOf(c, "Scaler:DownHeadroom", d.Policy.DownHeadroom),
            IdleBeforeZero: TimeSpan.FromMinutes(NodeSettings.DoubleOf(c, "Scaler:IdleMinutesBeforeZero", d.Policy.IdleBeforeZeroOrDefault.TotalMinutes)));
        try { policy.Validate(); }
        catch (ArgumentException e) { throw new SettingsException("Scaler", e.Message); }
        return new ScalerConfig
        {
            Policy = policy,
            IntervalSeconds = NodeSettings.DoubleOf(c, "Scaler:IntervalSeconds", d.IntervalSeconds) is var i and >= 1 ? i
                : throw new SettingsException("Scaler:IntervalSeconds", "at least 1 second"),
            GkeProject = NodeSettings.Text(c, "Gke:Project"),
            GkeLocation = NodeSettings.Text(c, "Gke:Location") ?? d.GkeLocation,
            GkeCluster = NodeSettings.Text(c, "Gke:Cluster") ?? d.GkeCluster,
            GkeNodePool = NodeSettings.Text(c, "Gke:NodePool") ?? d.GkeNodePool,
            GkeEndpoint = NodeSettings.Text(c, "Gke:Endpoint"),
            BacklogSubscription = NodeSettings.Text(c, "Backlog:Subscription"),
            BacklogFile = NodeSettings.Text(c, "Backlog:File"),
        };
    }
}

/// <summary>A setting that cannot work, named the way the user wrote it.</summary>
public sealed class SettingsException(string setting, string message) : Exception($"{setting}: {message}")
{
    public string Setting { get; } = setting;
}
