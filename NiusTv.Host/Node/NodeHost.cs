using System.Net;
using System.Text.Json;
using NiusTv.Steps.Tools;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Discovery.KubernetesApi;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;
using Akka.Remote.Hosting;
using Microsoft.Data.Sqlite;
using NiusTv.Actors.Ingest;
using NiusTv.Actors.Admission;
using NiusTv.Actors.Scaling;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Cloud;
using NiusTv.Host.Admin;
using NiusTv.Host.Telemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using NiusTv.Steps;
using NiusTv.Steps.Render;
using NiusTv.Steps.Stories;

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
        var admin = settings.AdminEndPoint;
        // An empty or blank token would be a lock anyone opens with an empty Authorization header; so would "no token"
        // set by accident through an empty variable. Either is a mistake to say at start, not a mode.
        if (settings.AdminToken is { } configuredToken && string.IsNullOrWhiteSpace(configuredToken))
            throw new SettingsException("Node:AdminToken", "the admin token is empty or only whitespace; set a real secret " +
                "(Node:AdminToken or NIUSTV__Node__AdminToken), or leave it unset on a 127.0.0.1 endpoint");
        if (!IPAddress.IsLoopback(admin.Address) && string.IsNullOrEmpty(settings.AdminToken))
            throw new SettingsException("--admin", $"the admin endpoint would listen on {admin}, which is reachable from other machines; " +
                "set an admin token (Node:AdminToken or NIUSTV__Node__AdminToken) or bind it to 127.0.0.1");

        Directory.CreateDirectory(settings.DataPath);
        Directory.CreateDirectory(settings.WorkspaceRoot);
        // Before any step runs: children of this process die with it, and a node killed earlier leaves nothing behind.
        OrphanGuard.Start();
        var leftovers = OrphanGuard.RemoveLeftovers(settings.WorkspaceRoot);
        var (journalKind, journalConnection) = settings.JournalTarget;
        if (journalKind == "sqlite") PrepareSqlite(journalConnection);
        // The steps get the admission before the actor system exists; the client queues their requests until the router is attached.
        var gpuAdmission = new GpuAdmissionClient();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // Every log line goes to stderr: stdout is the verb's answer (`--json` output, video paths), which scripts parse.
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        var logRing = new LogRing();
        builder.Logging.AddProvider(new LogRingProvider(logRing));
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        var adminCert = settings.LoadAdminCertificate();
        builder.WebHost.UseKestrel(k => k.Listen(admin, listen => { if (adminCert is not null) listen.UseHttps(adminCert); }));
        builder.AddAdminSurface(settings);

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(logRing);
        builder.Services.AddSingleton<ComponentRegistry>();
        builder.Services.AddSingleton<Newsroom.Drafts>();
        builder.Services.AddSingleton<IGpuAdmission>(gpuAdmission);
        builder.Services.AddNodeSteps(settings);
        addServices?.Invoke(builder.Services);
        builder.Services.AddSingleton(new StoryRuntimeSettings(settings.WorkspaceRoot,
            new RetryPolicy(settings.RetryMaxAttempts, TimeSpan.FromSeconds(settings.RetryBaseDelaySeconds), TimeSpan.FromSeconds(settings.RetryMaxDelaySeconds)), settings.Retention));
        // Each step's own default (its definition), unless Pools:<step> says otherwise.
        builder.Services.AddSingleton(sp => StepPoolSizes.For(sp.GetRequiredService<Pipeline>(), settings.PoolSizes, Environment.ProcessorCount));
        // The catalog's fold outlives the process in the data directory: a restart reads only what the journal gained.
        builder.Services.AddSingleton(sp => new StoryCatalog(sp.GetRequiredService<ActorSystem>(), StoryPersistence.QueryPluginId,
            Path.Combine(settings.DataPath, "story-catalog.checkpoint"), journalKind + ":" + journalConnection));

        var seeds = settings.Discovery == "kubernetes" ? [] : settings.Seeds.Select(SeedAddress).ToArray();
        builder.Services.AddHealthChecks().AddNodeHealth();
        builder.Services.AddCloudClients(settings);
        if (settings.Scaler is { BacklogFile: null, BacklogSubscription: not null } && settings.PubSubProject is not { Length: > 0 })
            throw new SettingsException("Backlog:Subscription", "a backlog subscription needs --pubsub PROJECT");
        builder.Services.AddAkka(SystemName, (akka, sp) =>
        {
            var pubsub = sp.GetService<PubSubRestClient>();
            var (nodePool, backlog) = ScalerInputs(settings, pubsub, sp.GetService<INodePool>());
            if (hocon is not null) akka.AddHocon(hocon, HoconAddMode.Prepend);
            // The scheduler wakes every tick whether or not a timer is due: 100 times a second by default, the most of
            // what an idle node costs. No timer here needs finer than 50 ms.
            akka.AddHocon("akka.scheduler.tick-duration = 50ms", HoconAddMode.Append);
            akka.ConfigureLoggers(l =>
                {
                    l.LogLevel = logLevel <= LogLevel.Debug ? Akka.Event.LogLevel.DebugLevel
                        : logLevel <= LogLevel.Information ? Akka.Event.LogLevel.InfoLevel : Akka.Event.LogLevel.WarningLevel;
                    l.ClearLoggers();
                    l.AddLoggerFactory();
                })
                .WithRemoting(settings.Hostname, settings.Port)
                .WithClustering(new ClusterOptions
                {
                    Roles = settings.Roles.ToArray(),
                    SeedNodes = seeds,
                    // Keep-majority: the side with more nodes survives a partition and the rest down themselves, so
                    // no story runs on both sides (docs/operators.md, "Split brain"). No lease is needed, nor available here.
                    SplitBrainResolver = new KeepMajorityOption(),
                })
                .AddStoryPersistence(journalKind == "sqlite" ? JournalKind.Sqlite : JournalKind.Postgres, journalConnection)
                .AddStepPools()
                .AddStoryActor(role: "worker")
                .AddStoryTelemetry()
                .AddGpuAdmission(settings.RenderSlots, TimeSpan.FromSeconds(settings.GpuLeaseSeconds), gpuAdmission)
                .AddScaler(settings.Roles.Contains(ScalerActor.Role), settings.Scaler.Policy, nodePool, backlog,
                    TimeSpan.FromSeconds(settings.Scaler.IntervalSeconds))
                .WithActorSystemLivenessCheck(tags: [LiveTag])
                .WithAkkaClusterReadinessCheck(tags: [ReadyTag]);
            if (settings.Discovery == "kubernetes")
            {
                // Pods find each other through the Kubernetes API (label selector), then bootstrap agrees on who
                // forms the cluster: no seed list to keep in step with a StatefulSet.
                akka.WithAkkaManagement(port: settings.ManagementPort)
                    .WithKubernetesDiscovery(o =>
                    {
                        o.PodLabelSelector = settings.KubernetesLabelSelector;
                        if (settings.KubernetesNamespace is { } ns) o.PodNamespace = ns;
                    })
                    .WithClusterBootstrap(o =>
                    {
                        o.ContactPointDiscovery.PortName = "management";
                        o.ContactPointDiscovery.RequiredContactPointsNr = settings.KubernetesRequiredContactPoints;
                    }, autoStart: true);
            }
            else
            {
                akka.WithActors((system, _) =>
                {
                    // A single node joins itself; with seeds, the cluster extension joins them on its own.
                    if (seeds.Length == 0) Cluster.Get(system).Join(Cluster.Get(system).SelfAddress);
                });
            }
            // Ingest feeds workers; a node without the worker role has no local region to feed.
            if (pubsub is not null && settings.Roles.Contains("worker"))
                akka.AddIngest(pubsub, new IngestSettings(NodeCheck: sp.GetRequiredService<StoryChoices>().Check, MaxOutstanding: settings.IngestMaxOutstanding,
                    AckDeadlineSeconds: settings.IngestAckDeadlineSeconds, HandOverDelay: TimeSpan.FromSeconds(settings.IngestHandOverDelaySeconds)));
        });

        builder.Services.AddHostedService<StoryCatalogWarmUp>();

        if (settings.ExportsTraces)
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService("niustv", serviceInstanceId: $"{settings.Hostname}:{settings.Port}"))
                .WithTracing(t => t.AddSource(StoryTelemetry.SourceName).AddOtlpExporter(o =>
                {
                    if (!string.IsNullOrEmpty(settings.OtlpEndpoint)) o.Endpoint = new Uri(settings.OtlpEndpoint);
                }));

        var app = builder.Build();
        try
        {
            // Every step and its backends are built now, before the node joins its cluster: a bad setting or checkpoint
            // stops the start with the reason instead of failing every story.
            _ = app.Services.GetRequiredService<Pipeline>();
            _ = app.Services.GetServices<IStoryStep>().ToList();
            _ = app.Services.GetRequiredService<StoryChoices>();
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
        var startup = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NiusTv.Node");
        foreach (var note in app.Services.GetRequiredService<StartupNotes>().All) startup.LogInformation("{Note}", note);
        if (leftovers.Count > 0)
            startup.LogInformation("removed {Count} leftover(s) of an earlier run: {Paths}", leftovers.Count, string.Join(", ", leftovers.Take(10)));
        var catalog = app.Services.GetRequiredService<StoryCatalog>();
        StoryTelemetry.ExportStoryStates(catalog);
        // Written back as the node stops, so the next start reads only what the journal gained meanwhile.
        app.Lifetime.ApplicationStopping.Register(() => catalog.SaveCheckpointAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult());
        ComponentMetrics.Export(app.Services.GetRequiredService<ActorSystem>(), app.Services.GetRequiredService<ActorRegistry>());
        app.UseAdminSurface();
        app.MapAdminApi();
        Newsroom.NewsroomEndpoints.MapNewsroom(app, settings.AdminToken);
        return app;
    }

    /// <summary>The GPU pool the scaler resizes (none without Gke:Project: it only logs) and where it counts waiting
    /// stories (none configured: only the workers' in-flight stories count).</summary>
    private static (INodePool? Pool, IBacklog? Backlog) ScalerInputs(NodeSettings settings, PubSubRestClient? pubsub, INodePool? pool)
    {
        var s = settings.Scaler;
        IBacklog? backlog = s.BacklogFile is { } file ? new FileBacklog(Path.GetFullPath(file))
            : s.BacklogSubscription is { } sub ? new PeekSubscriptionBacklog(pubsub
                ?? throw new SettingsException("Backlog:Subscription", "a backlog subscription needs --pubsub PROJECT"), sub, TimeSpan.FromSeconds(2))
            : null;
        return (pool, backlog);
    }

    /// <summary>Folds the story list (its checkpoint and what the journal gained since) as the node starts, after the
    /// actor system and before the admin endpoint: the first list or scrape is served from the fold instead of waiting
    /// for it. A journal that does not answer holds the start for <see cref="WarmLimit"/> at most; the fold then goes
    /// on behind it, and the first list waits for what is left.</summary>
    private sealed class StoryCatalogWarmUp(StoryCatalog catalog, ILogger<StoryCatalogWarmUp> log, IHostApplicationLifetime lifetime) : IHostedService
    {
        private static readonly TimeSpan WarmLimit = TimeSpan.FromSeconds(20);

        public async Task StartAsync(CancellationToken ct)
        {
            var warm = Task.Run(async () =>
            {
                try { await catalog.WarmAsync(lifetime.ApplicationStopping); }
                catch (OperationCanceledException) { }
                catch (Exception e) { log.LogWarning("story list: not folded at start ({Reason}); the first list will", e.Message); }
            }, CancellationToken.None);
            await Task.WhenAny(warm, Task.Delay(WarmLimit, ct));
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }

    /// <summary>WAL lets the admin endpoint's journal reads run beside the story actors' writes.</summary>
    private static void PrepareSqlite(string connection)
    {
        var path = new SqliteConnectionStringBuilder(connection).DataSource;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var db = new SqliteConnection(connection);
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL;";
        cmd.ExecuteNonQuery();
    }

    /// <summary>`--seed HOST:PORT` with the system name implied, or a full akka.tcp:// address.</summary>
    public static string SeedAddress(string seed) =>
        seed.Contains("://", StringComparison.Ordinal) ? seed : $"akka.tcp://{SystemName}@{seed}";
}
