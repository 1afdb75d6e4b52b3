using NiusTv.Actors.Stories;
using System.Net;
using Microsoft.Extensions.Configuration;
using NiusTv.Steps;

namespace NiusTv.Host.Node;

/// <summary>Everything a node needs to start, resolved from (lowest to highest precedence) built-in defaults,
/// appsettings.json, --config FILE, NIUSTV__Section__Key variables and command-line options.</summary>
public sealed record NodeSettings
{
    // Settings built in code start from the same defaults as a node started with no configuration.
    private static readonly Settings.NodeSection Defaults = new();

    /// <summary>The configuration these settings were read from: the node's container binds the steps' sections
    /// (Speech, Phonemes, Render, Compose, Output, Models, Storage) from it. Settings built in code have none, and
    /// every such section keeps its defaults.</summary>
    public IConfiguration Configuration { get; init; } = Settings.NodeConfiguration.From();
    public string DataDir { get; init; } = Defaults.Data;
    public string Assets { get; init; } = Defaults.Assets;
    public string Out { get; init; } = Defaults.Out;
    public string Admin { get; init; } = Defaults.Admin;
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
    public int AdminFailedTokenLimit { get; init; } = Defaults.AdminFailedTokenLimit;
    public TimeSpan AdminFailedTokenWindow { get; init; } = Defaults.FailedTokenWindow;

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
    public string Hostname { get; init; } = Defaults.Hostname;
    public int Port { get; init; }
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public IReadOnlyList<string> Roles { get; init; } = Defaults.Roles;
    /// <summary>Presenter profiles (Presenters:Root); null: ./presenters, else $NIUSTV_HOME/presenters, else the ones
    /// shipped beside the executable.</summary>
    public string? PresentersDir { get; init; }
    /// <summary>dlib's 68-point shape predictor (Landmarks:Model).</summary>
    public string LandmarkModel { get; init; } = new Settings.LandmarksSettings().Model;
    /// <summary>Google Cloud project to ingest from (`--pubsub`); null: stories come only through the admin endpoint.</summary>
    public string? PubSubProject { get; init; }
    /// <summary>How the node finds its cluster: "seeds" (Node:Seeds, or itself) or "kubernetes" (Akka.Management
    /// cluster bootstrap over the Kubernetes API; the pod's ports must be named `management` and `akka-remote`).</summary>
    public NodeDiscovery Discovery { get; init; }
    public int ManagementPort { get; init; } = Defaults.ManagementPort;

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

    /// <summary>The node as configured: the Node, Presenters and Landmarks sections read by the configuration binder
    /// (<see cref="Settings.NodeSection"/>), with the same checks <c>ValidateOnStart</c> runs; a bad value is a
    /// <see cref="SettingsException"/> naming its key.</summary>
    public static NodeSettings FromConfiguration(IConfiguration config)
    {
        var node = Settings.NodeConfiguration.Read<Settings.NodeSection>(config);
        return new NodeSettings
        {
            Configuration = config,
            DataDir = node.Data,
            Assets = node.Assets,
            Out = node.Out,
            Admin = node.Admin,
            AdminToken = node.AdminToken,
            AdminHosts = node.AdminHosts,
            AdminCert = NonEmpty(node.AdminCert),
            AdminCertKey = NonEmpty(node.AdminCertKey),
            AdminCertPassword = node.AdminCertPassword,
            AdminFailedTokenLimit = node.AdminFailedTokenLimit,
            AdminFailedTokenWindow = node.FailedTokenWindow,
            Journal = node.Journal,
            Hostname = node.Hostname,
            Port = node.Port,
            Seeds = node.Seeds,
            Roles = node.Roles,
            PresentersDir = Settings.NodeConfiguration.Read<Settings.PresentersSettings>(config).Root,
            LandmarkModel = Settings.NodeConfiguration.Read<Settings.LandmarksSettings>(config).Model,
            PubSubProject = node.PubSub,
            Discovery = node.Discovery,
            ManagementPort = node.ManagementPort,
        };
    }

    // An empty certificate path (an empty variable) means no certificate, not a file named "".
    private static string? NonEmpty(string? value) => value is { Length: > 0 } ? value : null;
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
