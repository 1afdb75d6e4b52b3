using NiusTv.Actors.Stories;
using System.Net;
using Microsoft.Extensions.Configuration;
using NiusTv.Steps;

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
    /// <summary>Google Cloud project to ingest from (`--pubsub`); null: stories come only through the admin endpoint.</summary>
    public string? PubSubProject { get; init; }
    /// <summary>How the node finds its cluster: "seeds" (Node:Seeds, or itself) or "kubernetes" (Akka.Management
    /// cluster bootstrap over the Kubernetes API; the pod's ports must be named `management` and `akka-remote`).</summary>
    public NodeDiscovery Discovery { get; init; }
    public int ManagementPort { get; init; } = 8558;

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
            Journal = node["Journal"] ?? d.Journal,
            Hostname = node["Hostname"] ?? d.Hostname,
            Port = Int(node, "Port", d.Port),
            Seeds = List(node, "Seeds") ?? d.Seeds,
            Roles = List(node, "Roles") ?? d.Roles,
            PresentersDir = config["Presenters:Root"] ?? d.PresentersDir,
            LandmarkModel = config["Landmarks:Model"] ?? d.LandmarkModel,
            PubSubProject = node["PubSub"] ?? d.PubSubProject,
            Discovery = node["Discovery"] is { } disc ? Choice<NodeDiscovery>("Node:Discovery", disc) : d.Discovery,
            ManagementPort = Int(node, "ManagementPort", d.ManagementPort),
        };
    }

    private static T Choice<T>(string key, string value) where T : struct, Enum
    {
        try { return Settings.ChoiceConverter<T>.Parse(value); }
        catch (FormatException e) { throw new SettingsException(key, e.Message); }
    }

    internal static string? Text(IConfiguration c, string key) => c[key] is { Length: > 0 } v ? v : null;

    private static IReadOnlyList<string>? List(IConfiguration c, string key)
    {
        var section = c.GetSection(key);
        var items = section.GetChildren().Select(x => x.Value!).Where(v => !string.IsNullOrEmpty(v)).ToList();
        if (items.Count > 0) return items;
        return section.Value is { Length: > 0 } csv ? csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
    }

    private static TimeSpan Duration(IConfiguration c, string key, TimeSpan fallback) =>
        Settings.Durations.Problem(c[key]) is { } problem ? throw new SettingsException(key, problem) : Settings.Durations.Parse(c[key]) ?? fallback;

    private static int Int(IConfiguration c, string key, int fallback) => c[key] is not { } v ? fallback
        : int.TryParse(v, out var n) ? n : throw new SettingsException(key, $"'{v}' is not a whole number");

    private static int Positive(IConfiguration c, string key, int fallback) =>
        Int(c, key, fallback) is var n and > 0 ? n : throw new SettingsException(key, $"'{c[key]}' is not a positive number");

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
