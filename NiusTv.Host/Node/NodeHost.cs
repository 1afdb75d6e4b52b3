using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NiusTv.Host.Admin;
using NiusTv.Host.Node.Settings;
using NiusTv.Host.Telemetry;
using NiusTv.Steps;
using NiusTv.Steps.Cloud;
using NiusTv.Actors.Admission;

namespace NiusTv.Host.Node;

/// <summary>Builds one cluster node: the Akka system (remoting, cluster, SQL persistence, story shards, step
/// pools) and the admin endpoint, in one generic host.</summary>
public static class NodeHost
{
    public const string SystemName = "nius";
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <param name="hocon">settings laid over the defaults (benchmarks: fast failure detection).</param>
    /// <param name="addServices">more registrations after the node's own, e.g. a step of one's own:
    /// <c>services.AddStoryStep&lt;ReviewStep&gt;(ReviewStep.Definition, after: "compose")</c>.</param>
    public static WebApplication Build(NodeSettings settings, LogLevel logLevel = LogLevel.Information, string? hocon = null,
        Action<IServiceCollection>? addServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.AddAdminEndpoint(settings);
        builder.AddNodeStorage(settings);
        builder.AddNodeLogging(logLevel);

        builder.Services.AddSingleton(settings);
        // One clock for retry backoffs, GPU leases and the scaler's cooldowns (and the cloud clients' token expiry).
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ComponentRegistry>();
        builder.Services.AddSingleton<Newsroom.Drafts>();
        builder.Services.AddGpuAdmissionClient();
        builder.Services.AddNodeSteps(settings.Configuration, settings);
        addServices?.Invoke(builder.Services);
        builder.Services.AddNodeSections(settings);
        builder.Services.AddStoryRuntime();
        builder.Services.AddHealthChecks().AddNodeHealth();
        builder.Services.AddCloudClients(settings);
        builder.Services.AddNodeActorSystem(settings, logLevel, hocon);
        builder.Services.AddStoryTracing(settings);

        var app = builder.Build();
        app.ValidateBeforeJoining();
        app.LogStartupNotes();
        app.ExportNodeMetrics();
        app.MapAdminEndpoints(settings);
        return app;
    }

    /// <summary>`--seed HOST:PORT` with the system name implied, or a full akka.tcp:// address.</summary>
    public static string SeedAddress(string seed) =>
        seed.Contains("://", StringComparison.Ordinal) ? seed : $"akka.tcp://{SystemName}@{seed}";
}
