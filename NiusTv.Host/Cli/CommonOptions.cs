using System.CommandLine;
using Microsoft.Extensions.Configuration;
using NiusTv.Host.Node;

namespace NiusTv.Host.Cli;

/// <summary>Options shared by several verbs (ARCHITECTURE.md fixes their names and defaults).</summary>
public static class CommonOptions
{
    public static readonly Option<string?> Config = new("--config") { Description = "settings file (JSON, same shape as appsettings.json)" };
    public static readonly Option<string?> Data = new("--data") { Description = "SQLite journal and node-local workspaces (default ./data)" };
    public static readonly Option<string?> Assets = new("--assets") { Description = "root that story image uris are relative to (default ./samples)" };
    public static readonly Option<string?> Out = new("--out") { Description = "where finished videos go: videos/<id>.mp4 and .jpg (default ./out)" };
    public static readonly Option<string?> Admin = new("--admin") { Description = "admin endpoint HOST:PORT (default 127.0.0.1:9110); https://HOST:PORT for a node started with --admin-cert" };
    public static readonly Option<string?> AdminCert = new("--admin-cert") { Description = "serve the admin endpoint over HTTPS with this certificate (.pfx, or PEM with Node:AdminCertKey)" };
    public static readonly Option<string?> Journal = new("--journal") { Description = "sqlite:PATH or postgres:CONNSTRING (default sqlite:<data>/nius.db)" };
    public static readonly Option<string?> Token = new("--token") { Description = "admin token (or NIUSTV_ADMIN_TOKEN)" };
    public static readonly Option<bool> Json = new("--json") { Description = "print JSON for scripts" };
    public static readonly Option<int?> Port = new("--port") { Description = "cluster (remoting) port; 0 picks a free one" };
    public static readonly Option<string[]> Seeds = new("--seed") { Description = "seed node HOST:PORT or akka.tcp:// address (repeatable)", AllowMultipleArgumentsPerToken = false };
    public static readonly Option<string?> Roles = new("--roles") { Description = "cluster roles, comma separated (default worker,scaler)" };

    public static readonly Option<string?> PubSub = new("--pubsub") { Description = "Google Cloud project: ingest stories from Pub/Sub (honours PUBSUB_EMULATOR_HOST)" };

    public static IEnumerable<Option> NodeOptions => [Config, Data, Assets, Out, Admin, AdminCert, Journal, Port, Seeds, Roles, PubSub];

    /// <summary>Defaults, then appsettings.json, --config, NIUSTV__Section__Key variables, then the options given.</summary>
    public static NodeSettings NodeSettings(ParseResult r)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Environment.CurrentDirectory, "appsettings.json"), optional: true);
        if (r.GetValue(Config) is { } file)
        {
            if (!File.Exists(file)) throw new CliException($"--config: the file '{file}' does not exist", 2);
            builder.AddJsonFile(Path.GetFullPath(file), optional: false);
        }
        builder.AddEnvironmentVariables("NIUSTV__");
        var overrides = new Dictionary<string, string?>();
        void Set(string key, string? value) { if (value is not null) overrides[key] = value; }
        Set("Node:Data", r.GetValue(Data));
        Set("Node:Assets", r.GetValue(Assets));
        Set("Node:Out", r.GetValue(Out));
        Set("Node:Admin", r.GetValue(Admin));
        Set("Node:AdminCert", r.GetValue(AdminCert));
        Set("Node:Journal", r.GetValue(Journal));
        Set("Node:Port", r.GetValue(Port)?.ToString());
        Set("Node:Roles", r.GetValue(Roles));
        Set("Node:PubSub", r.GetValue(PubSub));
        if (r.GetValue(Seeds) is { Length: > 0 } seeds) Set("Node:Seeds", string.Join(',', seeds));
        builder.AddInMemoryCollection(overrides);
        try
        {
            return Node.NodeSettings.FromConfiguration(builder.Build());
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"--config: {e.Message}", 2);
        }
    }

    public static string AdminAddress(ParseResult r) =>
        r.GetValue(Admin) ?? Environment.GetEnvironmentVariable("NIUSTV__Node__Admin") ?? "127.0.0.1:9110";

    public static string? AdminToken(ParseResult r) =>
        r.GetValue(Token) ?? Environment.GetEnvironmentVariable("NIUSTV_ADMIN_TOKEN") ?? Environment.GetEnvironmentVariable("NIUSTV__Node__AdminToken");

    public static AdminClient Client(ParseResult r) => new(AdminAddress(r), AdminToken(r));
}
