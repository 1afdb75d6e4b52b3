using NiusTv.Actors.Stories;
using System.Net;
using Microsoft.Extensions.Configuration;
using NiusTv.Actors.Scaling;
using NiusTv.Steps;
using NiusTv.Steps.Cloud;

namespace NiusTv.Host.Node;

/// <summary>Everything a node needs to start, resolved from (lowest to highest precedence) built-in defaults,
/// appsettings.json, --config FILE, NIUSTV__Section__Key variables and command-line options.</summary>
public sealed record NodeSettings
{
    /// <summary>The configuration these settings were read from: the node's container binds the steps' sections
    /// (Speech, Phonemes, Render, Compose, Output, Models, Storage) from it. Settings built in code have none, and
    /// every such section keeps its defaults.</summary>
    public IConfiguration Configuration { get; init; } = Settings.NodeConfiguration.From();
    public string DataDir { get; init; } = "data";
    public string Assets { get; init; } = "samples";
    public string Out { get; init; } = "out";
    public string Admin { get; init; } = "127.0.0.1:9110";
    public string? AdminToken { get; init; }
    /// <summary>Node:AdminHosts: more names the admin endpoint answers to (a Kubernetes Service, a proxy), beside
    /// the --admin host and the addresses it binds; "*.example.org" allowed. Any other Host header gets 400.</summary>
    public IReadOnlyList<string> AdminHosts { get; init; } = [];
    /// <summary>--admin-cert / Node:AdminCert: serve the admin endpoint over HTTPS with this certificate, a PKCS#12
    /// file (.pfx/.p12, password in Node:AdminCertPassword) or a PEM certificate (key in Node:AdminCertKey, or in
    /// the same file). Null: plain HTTP.</summary>
    public string? AdminCert { get; init; }
    public string? AdminCertKey { get; init; }
    public string? AdminCertPassword { get; init; }
    /// <summary>Node:AdminFailedTokenLimit / Node:AdminFailedTokenWindow: wrong admin tokens one client address may
    /// send per window before it is answered 429 (right token or not) until the window ends. A person mistyping is
    /// far below 30 a minute; a script guessing is slowed to a crawl.</summary>
    public int AdminFailedTokenLimit { get; init; } = 30;
    public TimeSpan AdminFailedTokenWindow { get; init; } = TimeSpan.FromMinutes(1);

    public string AdminScheme => string.IsNullOrEmpty(AdminCert) ? "http" : "https";

    /// <summary>The admin certificate, or null without one; a file that is missing or unreadable stops the node.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? LoadAdminCertificate()
    {
        if (string.IsNullOrEmpty(AdminCert)) return null;
        if (!File.Exists(AdminCert)) throw new SettingsException("--admin-cert", $"the certificate file '{AdminCert}' does not exist");
        try
        {
            var ext = Path.GetExtension(AdminCert).ToLowerInvariant();
            var cert = ext is ".pfx" or ".p12"
                ? System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(AdminCert, AdminCertPassword)
                : System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(AdminCert, AdminCertKey);
            if (!cert.HasPrivateKey)
                throw new SettingsException("--admin-cert", $"'{AdminCert}' holds no private key; give it in Node:AdminCertKey");
            return cert;
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new SettingsException("--admin-cert", $"'{AdminCert}' cannot be read as a PKCS#12 (.pfx) or PEM certificate with its key: {e.Message}");
        }
    }
    /// <summary>OTLP endpoint for story traces (Telemetry:OtlpEndpoint). Without it, traces are exported only when
    /// the standard OTEL_EXPORTER_OTLP_ENDPOINT is set, and the exporter reads that (and its siblings) itself.</summary>
    public string? OtlpEndpoint { get; init; }

    public bool ExportsTraces => !string.IsNullOrEmpty(OtlpEndpoint) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
    public string? Journal { get; init; }
    public string Hostname { get; init; } = "127.0.0.1";
    public int Port { get; init; }
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public IReadOnlyList<string> Roles { get; init; } = ["worker", "scaler"];
    /// <summary>Presenter profiles (Presenters:Root); null: ./presenters, else $NIUSTV_HOME/presenters, else the ones
    /// shipped beside the executable.</summary>
    public string? PresentersDir { get; init; }
    /// <summary>dlib's 68-point shape predictor (Landmarks:Model).</summary>
    public string LandmarkModel { get; init; } = NiusTv.Steps.Landmarks.DlibFaceLandmarkDetector.DefaultModel;
    public int RetryMaxAttempts { get; init; } = 4;
    public double RetryBaseDelaySeconds { get; init; } = 2;
    public double RetryMaxDelaySeconds { get; init; } = 60;
    /// <summary>Workspace:KeepCompletedFor, Workspace:KeepFailedFor, Workspace:SweepEvery.</summary>
    public WorkspaceRetention Retention { get; init; } = WorkspaceRetention.Default;
    public IReadOnlyDictionary<string, int> PoolSizes { get; init; } = new Dictionary<string, int>();
    /// <summary>Google Cloud project to ingest from (`--pubsub`); null: stories come only through the admin endpoint.</summary>
    public string? PubSubProject { get; init; }
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
    /// <summary>torchvision VGG-19 weights for `nius train presenter`'s perceptual loss (Train:Vgg19Weights); null: none.</summary>
    public string? TrainVgg19Weights { get; init; }
    public ScalerConfig Scaler { get; init; } = new();
    /// <summary>How the node finds its cluster: "seeds" (Node:Seeds, or itself) or "kubernetes" (Akka.Management
    /// cluster bootstrap over the Kubernetes API; the pod's ports must be named `management` and `akka-remote`).</summary>
    public NodeDiscovery Discovery { get; init; }
    public int ManagementPort { get; init; } = 8558;
    public string KubernetesLabelSelector { get; init; } = "app=nius";
    public string? KubernetesNamespace { get; init; }
    public int KubernetesRequiredContactPoints { get; init; } = 2;

    /// <summary>How many render slots this node admits: its GPUs, or groups of CPU cores when it has none.</summary>
    public int RenderSlots => GpuCount > 0 ? GpuCount : Math.Max(1, Environment.ProcessorCount / Math.Max(1, CpuCoresPerRenderSlot));

    public string DataPath => Path.GetFullPath(DataDir);

    /// <summary>Where the presenter profiles are: the configured folder, else the first of ./presenters,
    /// $NIUSTV_HOME/presenters and the copy shipped beside the executable that exists.</summary>
    public string PresentersPath
    {
        get
        {
            if (!string.IsNullOrEmpty(PresentersDir)) return Path.GetFullPath(PresentersDir);
            string?[] candidates =
            [
                Path.GetFullPath("presenters"),
                Environment.GetEnvironmentVariable("NIUSTV_HOME") is { Length: > 0 } home ? Path.Combine(home, "presenters") : null,
                Path.Combine(AppContext.BaseDirectory, "presenters"),
            ];
            return candidates.OfType<string>().FirstOrDefault(Directory.Exists) ?? candidates[0]!;
        }
    }

    /// <summary>Cached reference faces, one file per presenter photo.</summary>
    public string PresenterCachePath => Path.Combine(DataPath, "presenters");
    /// <summary>--assets and --out as shown and used: a gs:// location as given, a folder as a full path.</summary>
    public string AssetsLocation => IsGcs(Assets) ? Assets : Path.GetFullPath(Assets);
    public string OutLocation => IsGcs(Out) ? Out : Path.GetFullPath(Out);

    public static bool IsGcs(string location) => location.StartsWith("gs://", StringComparison.Ordinal);
    public string WorkspaceRoot => Path.Combine(DataPath, "workspaces");

    /// <summary>The journal as (provider, connection string). Default: SQLite in the data folder.</summary>
    public (JournalKind Kind, string Connection) JournalTarget
    {
        get
        {
            var spec = string.IsNullOrWhiteSpace(Journal) ? "sqlite:" + Path.Combine(DataPath, "nius.db") : Journal!;
            var colon = spec.IndexOf(':');
            var kind = colon < 0 ? "" : spec[..colon];
            var rest = colon < 0 ? "" : spec[(colon + 1)..];
            return kind switch
            {
                "sqlite" when rest.Length > 0 => (JournalKind.Sqlite, $"Data Source={Path.GetFullPath(rest)};Pooling=True"),
                "postgres" when rest.Length > 0 => (JournalKind.Postgres, rest),
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
            Configuration = config,
            DataDir = node["Data"] ?? d.DataDir,
            Assets = node["Assets"] ?? d.Assets,
            Out = node["Out"] ?? d.Out,
            Admin = node["Admin"] ?? d.Admin,
            AdminToken = node["AdminToken"] ?? d.AdminToken,
            AdminHosts = List(node, "AdminHosts") ?? d.AdminHosts,
            AdminCert = Text(config, "Node:AdminCert") ?? d.AdminCert,
            AdminCertKey = Text(config, "Node:AdminCertKey") ?? d.AdminCertKey,
            AdminCertPassword = node["AdminCertPassword"] ?? d.AdminCertPassword,
            AdminFailedTokenLimit = Positive(config, "Node:AdminFailedTokenLimit", d.AdminFailedTokenLimit),
            AdminFailedTokenWindow = Duration(config, "Node:AdminFailedTokenWindow", d.AdminFailedTokenWindow) is var window && window >= TimeSpan.FromSeconds(1)
                ? window : throw new SettingsException("Node:AdminFailedTokenWindow", $"'{config["Node:AdminFailedTokenWindow"]}' is shorter than 1 second: give e.g. 1m, 10m or 00:05:00"),
            OtlpEndpoint = config["Telemetry:OtlpEndpoint"] ?? d.OtlpEndpoint,
            Journal = node["Journal"] ?? d.Journal,
            Hostname = node["Hostname"] ?? d.Hostname,
            Port = Int(node, "Port", d.Port),
            Seeds = List(node, "Seeds") ?? d.Seeds,
            Roles = List(node, "Roles") ?? d.Roles,
            PresentersDir = config["Presenters:Root"] ?? d.PresentersDir,
            LandmarkModel = config["Landmarks:Model"] ?? d.LandmarkModel,
            RetryMaxAttempts = Int(config, "Retry:MaxAttempts", d.RetryMaxAttempts),
            RetryBaseDelaySeconds = Double(config, "Retry:BaseDelaySeconds", d.RetryBaseDelaySeconds),
            RetryMaxDelaySeconds = Double(config, "Retry:MaxDelaySeconds", d.RetryMaxDelaySeconds),
            Retention = new WorkspaceRetention(
                Duration(config, "Workspace:KeepCompletedFor", d.Retention.KeepCompletedFor),
                Duration(config, "Workspace:KeepFailedFor", d.Retention.KeepFailedFor),
                Duration(config, "Workspace:SweepEvery", d.Retention.SweepEvery) is var sweep && sweep >= TimeSpan.FromSeconds(1) ? sweep
                    : throw new SettingsException("Workspace:SweepEvery", "at least 1 second")),
            PoolSizes = pools,
            PubSubProject = node["PubSub"] ?? d.PubSubProject,
            IngestMaxOutstanding = Positive(config, "Ingest:MaxOutstanding", d.IngestMaxOutstanding),
            IngestAckDeadlineSeconds = Int(config, "Ingest:AckDeadlineSeconds", d.IngestAckDeadlineSeconds) is var ack and >= 10 and <= 600 ? ack
                : throw new SettingsException("Ingest:AckDeadlineSeconds", "Pub/Sub accepts 10 to 600 seconds"),
            IngestHandOverDelaySeconds = Double(config, "Ingest:HandOverDelaySeconds", d.IngestHandOverDelaySeconds),
            GpuCount = Int(config, "Gpu:Count", d.GpuCount),
            Discovery = node["Discovery"] is { } disc ? Choice<NodeDiscovery>("Node:Discovery", disc) : d.Discovery,
            ManagementPort = Int(node, "ManagementPort", d.ManagementPort),
            KubernetesLabelSelector = config["Kubernetes:LabelSelector"] ?? d.KubernetesLabelSelector,
            KubernetesNamespace = config["Kubernetes:Namespace"] ?? d.KubernetesNamespace,
            KubernetesRequiredContactPoints = Int(config, "Kubernetes:RequiredContactPoints", d.KubernetesRequiredContactPoints),
            CpuCoresPerRenderSlot = Int(config, "Gpu:CpuCoresPerSlot", d.CpuCoresPerRenderSlot),
            GpuLeaseSeconds = Double(config, "Gpu:LeaseSeconds", d.GpuLeaseSeconds),
            TrainVgg19Weights = Text(config, "Train:Vgg19Weights") ?? d.TrainVgg19Weights,
            Scaler = ScalerConfig.FromConfiguration(config),
        };
    }

    private static T Choice<T>(string key, string value) where T : struct, Enum
    {
        try { return Settings.ChoiceConverter<T>.Parse(value); }
        catch (FormatException e) { throw new SettingsException(key, e.Message); }
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

    /// <summary>A span as "6h", "90m", "45s", "3d" or "hh:mm:ss"; never negative.</summary>
    private static TimeSpan Duration(IConfiguration c, string key, TimeSpan fallback)
    {
        if (c[key] is not { Length: > 0 } v) return fallback;
        var text = v.Trim();
        var units = new Dictionary<char, double> { ['s'] = 1, ['m'] = 60, ['h'] = 3600, ['d'] = 86400 };
        TimeSpan? span = text.Length > 1 && units.TryGetValue(char.ToLowerInvariant(text[^1]), out var unit)
            && double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? TimeSpan.FromSeconds(n * unit)
            : TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : null;
        return span is { } ok && ok >= TimeSpan.Zero ? ok
            : throw new SettingsException(key, $"'{v}' is not a duration: give e.g. 6h, 90m, 3d or 06:00:00");
    }

    private static int Int(IConfiguration c, string key, int fallback) => c[key] is not { } v ? fallback
        : int.TryParse(v, out var n) ? n : throw new SettingsException(key, $"'{v}' is not a whole number");

    private static int Positive(IConfiguration c, string key, int fallback) =>
        Int(c, key, fallback) is var n and > 0 ? n : throw new SettingsException(key, $"'{c[key]}' is not a positive number");

    private static double Double(IConfiguration c, string key, double fallback) => c[key] is not { } v ? fallback
        : double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : throw new SettingsException(key, $"'{v}' is not a number");
}

/// <summary>Node:Discovery: how a node finds its cluster.</summary>
[System.ComponentModel.Description("a discovery")]
[System.ComponentModel.TypeConverter(typeof(Settings.ChoiceConverter<NodeDiscovery>))]
public enum NodeDiscovery
{
    /// <summary>Node:Seeds, or itself.</summary>
    Seeds,
    /// <summary>Akka.Management cluster bootstrap over the Kubernetes API.</summary>
    Kubernetes,
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
