using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;
using Akka.Remote.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using NiusTv.Actors.Admission;
using NiusTv.Actors.Ingest;
using NiusTv.Actors.Scaling;
using NiusTv.Actors.Stories;
using NiusTv.Host.Admin;
using NiusTv.Host.Node.Settings;
using NiusTv.Host.Telemetry;
using NiusTv.Steps;
using NiusTv.Steps.Cloud;
using NiusTv.Steps.Render;
using NiusTv.Steps.Stories;
using NiusTv.Steps.Tools;

namespace NiusTv.Host.Node;

/// <summary>The registrations <see cref="NodeHost.Build"/> chains: the admin endpoint, the node's folders and journal,
/// its logging, its actor system, and what runs once the container is built.</summary>
public static class NodeRegistrations
{
    /// <summary>The admin endpoint on Kestrel at --admin, over HTTPS with --admin-cert. Its token rules are checked
    /// before the node touches its data folder, so a refused start leaves nothing behind.</summary>
    public static WebApplicationBuilder AddAdminEndpoint(this WebApplicationBuilder builder, NodeSettings settings)
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
        var adminCert = settings.LoadAdminCertificate();
        builder.WebHost.UseKestrel(k => k.Listen(admin, listen => { if (adminCert is not null) listen.UseHttps(adminCert); }));
        builder.AddAdminSurface(settings);
        return builder;
    }

    /// <summary>The data and workspace folders, cleared of what a killed node left, and the journal ready to open.</summary>
    public static WebApplicationBuilder AddNodeStorage(this WebApplicationBuilder builder, NodeSettings settings)
    {
        Directory.CreateDirectory(settings.DataPath);
        Directory.CreateDirectory(settings.WorkspaceRoot);
        // Before any step runs: children of this process die with it, and a node killed earlier leaves nothing behind.
        OrphanGuard.Start();
        builder.Services.AddSingleton(new EarlierRunLeftovers(OrphanGuard.RemoveLeftovers(settings.WorkspaceRoot)));
        var (journalKind, journalConnection) = settings.JournalTarget;
        if (journalKind == JournalKind.Sqlite) PrepareSqlite(journalConnection);
        return builder;
    }

    /// <summary>One line per entry on stderr, and the newest lines kept for `nius log peek`.</summary>
    public static WebApplicationBuilder AddNodeLogging(this WebApplicationBuilder builder, LogLevel logLevel)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // Every log line goes to stderr: stdout is the verb's answer (`--json` output, video paths), which scripts parse.
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        var logRing = new LogRing();
        builder.Logging.AddProvider(new LogRingProvider(logRing));
        builder.Services.AddSingleton(logRing);
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        return builder;
    }

    /// <summary>What story actors need from the node's sections: retry policy, workspace retention, pool sizes, and the
    /// catalogue of stories.</summary>
    public static IServiceCollection AddStoryRuntime(this IServiceCollection services)
    {
        services.AddSingleton(sp => new StoryRuntimeSettings(sp.GetRequiredService<NodeSettings>().WorkspaceRoot,
            Section<RetrySettings>(sp).Policy, Section<WorkspaceSettings>(sp).Retention) { Clock = sp.GetRequiredService<TimeProvider>() });
        // Each step's own default (its definition), unless Pools:<step> says otherwise.
        services.AddSingleton(sp => StepPoolSizes.For(sp.GetRequiredService<Pipeline>(), Section<PoolsSettings>(sp).Sizes, Environment.ProcessorCount));
        // The catalog's fold outlives the process in the data directory: a restart reads only what the journal gained.
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<NodeSettings>();
            var (journalKind, journalConnection) = settings.JournalTarget;
            return new StoryCatalog(sp.GetRequiredService<ActorSystem>(), StoryPersistence.QueryPluginId,
                Path.Combine(settings.DataPath, "story-catalog.checkpoint"), journalKind + ":" + journalConnection);
        });
        return services;
    }

    /// <param name="hocon">settings laid over the defaults (benchmarks: fast failure detection).</param>
    public static IServiceCollection AddNodeActorSystem(this IServiceCollection services, NodeSettings settings, LogLevel logLevel, string? hocon)
    {
        var seeds = settings.Discovery == NodeDiscovery.Kubernetes ? [] : settings.Seeds.Select(NodeHost.SeedAddress).ToArray();
        var (journalKind, journalConnection) = settings.JournalTarget;
        services.AddAkka(NodeHost.SystemName, (akka, sp) =>
        {
            var clock = sp.GetRequiredService<TimeProvider>();
            var pubsub = sp.GetService<PubSubRestClient>();
            var backlog = Backlog(Section<BacklogSettings>(sp), pubsub);
            var gpu = Section<GpuSettings>(sp);
            var scaler = Section<ScalerSettings>(sp);
            if (hocon is not null) akka.AddHocon(hocon, HoconAddMode.Prepend);
            // The scheduler wakes every tick whether or not a timer is due (100 times a second by default), and each
            // tick wakes two threads: the runtime's timer thread and a pool thread. Every timer fires on a tick, so a
            // tick is the finest delay there is. The cluster's timers are a second; the finest of ours is the read
            // journal's refresh-interval (a catalog catch-up's re-ask), which then waits up to 250 ms, not 100.
            // `bench catalog --stories 20000`, idle node, quiet 2-core VM: 100 ms ticks 0.73-1.16 % of a core
            // (4 runs), 250 ms 0.61-0.85 % (4 runs, interleaved).
            akka.AddHocon("akka.scheduler.tick-duration = 250ms", HoconAddMode.Append);
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
                .AddStoryPersistence(journalKind, journalConnection)
                .AddStepPools()
                .AddStoryActor(role: "worker")
                .AddStoryTelemetry()
                .AddGpuAdmission(gpu.RenderSlots, gpu.Lease, clock)
                .AddScaler(settings.Roles.Contains(ScalerActor.Role), scaler.Policy, sp.GetService<INodePool>(), backlog, scaler.Interval, clock)
                .WithActorSystemLivenessCheck(tags: [NodeHost.LiveTag])
                .WithAkkaClusterReadinessCheck(tags: [NodeHost.ReadyTag]);
            if (settings.Discovery == NodeDiscovery.Kubernetes)
            {
                // Pods find each other through the Kubernetes API (label selector), then bootstrap agrees on who
                // forms the cluster: no seed list to keep in step with a StatefulSet.
                var kubernetes = Section<KubernetesSettings>(sp);
                akka.WithAkkaManagement(port: settings.ManagementPort)
                    .WithKubernetesDiscovery(o =>
                    {
                        o.PodLabelSelector = kubernetes.LabelSelector;
                        if (kubernetes.Namespace is { Length: > 0 } ns) o.PodNamespace = ns;
                    })
                    .WithClusterBootstrap(o =>
                    {
                        o.ContactPointDiscovery.PortName = "management";
                        o.ContactPointDiscovery.RequiredContactPointsNr = kubernetes.RequiredContactPoints;
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
            {
                var ingest = Section<Settings.IngestSettings>(sp);
                akka.AddIngest(pubsub, new NiusTv.Actors.Ingest.IngestSettings(NodeCheck: sp.GetRequiredService<StoryChoices>().Check,
                    MaxOutstanding: ingest.MaxOutstanding, AckDeadlineSeconds: ingest.AckDeadlineSeconds, HandOverDelay: TimeSpan.FromSeconds(ingest.HandOverDelaySeconds)));
            }
        });
        // Hosted services start in the order they are added: the fold needs the actor system started above.
        services.AddHostedService<StoryCatalogWarmUp>();
        return services;
    }

    /// <summary>Every section and every step with its backends is built now, before the node joins its cluster: a bad
    /// setting or checkpoint stops the start with the reason instead of failing every story.</summary>
    public static WebApplication ValidateBeforeJoining(this WebApplication app)
    {
        try
        {
            NodeConfiguration.ValidateOnStart(app.Services);
            _ = app.Services.GetRequiredService<Pipeline>();
            _ = app.Services.GetServices<IStoryStep>().ToList();
            _ = app.Services.GetRequiredService<StoryChoices>();
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
        return app;
    }

    public static WebApplication LogStartupNotes(this WebApplication app)
    {
        var startup = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NiusTv.Node");
        foreach (var note in app.Services.GetRequiredService<StartupNotes>().All) startup.LogInformation("{Note}", note);
        var leftovers = app.Services.GetRequiredService<EarlierRunLeftovers>().Paths;
        if (leftovers.Count > 0)
            startup.LogInformation("removed {Count} leftover(s) of an earlier run: {Paths}", leftovers.Count, string.Join(", ", leftovers.Take(10)));
        return app;
    }

    /// <summary>The niustv_* gauges read from the story catalogue and the actor registry.</summary>
    public static WebApplication ExportNodeMetrics(this WebApplication app)
    {
        var catalog = app.Services.GetRequiredService<StoryCatalog>();
        StoryTelemetry.ExportStoryStates(catalog);
        // Written back as the node stops, so the next start reads only what the journal gained meanwhile.
        app.Lifetime.ApplicationStopping.Register(() => catalog.SaveCheckpointAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult());
        ComponentMetrics.Export(app.Services.GetRequiredService<ActorSystem>(), app.Services.GetRequiredService<ActorRegistry>());
        return app;
    }

    /// <summary>The admin API and the newsroom, behind the admin surface's host, token and cross-site rules.</summary>
    public static WebApplication MapAdminEndpoints(this WebApplication app, NodeSettings settings)
    {
        app.UseAdminSurface();
        app.MapAdminApi();
        Newsroom.NewsroomEndpoints.MapNewsroom(app, settings.AdminToken);
        return app;
    }

    /// <summary>Where the scaler counts waiting stories; none configured: only the workers' in-flight stories count.</summary>
    private static IBacklog? Backlog(BacklogSettings from, PubSubRestClient? pubsub) =>
        from.File is { Length: > 0 } file ? new FileBacklog(Path.GetFullPath(file))
        : from.Subscription is { Length: > 0 } sub ? new PeekSubscriptionBacklog(pubsub
            ?? throw new SettingsException("Backlog:Subscription", "a backlog subscription needs --pubsub PROJECT"), sub, TimeSpan.FromSeconds(2))
        : null;

    private static T Section<T>(IServiceProvider sp) where T : class => sp.GetRequiredService<IOptions<T>>().Value;

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
}

/// <summary>Folds the story list (its checkpoint and what the journal gained since) as the node starts, after the
/// actor system and before the admin endpoint: the first list or scrape is served from the fold instead of waiting
/// for it. A journal that does not answer holds the start for <see cref="WarmLimit"/> at most; the fold then goes
/// on behind it, and the first list waits for what is left.</summary>
internal sealed class StoryCatalogWarmUp(StoryCatalog catalog, ILogger<StoryCatalogWarmUp> log, IHostApplicationLifetime lifetime) : IHostedService
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

/// <summary>Workspace files and folders a node killed earlier left behind, removed at start; logged once the node's
/// logging exists.</summary>
public sealed record EarlierRunLeftovers(IReadOnlyList<string> Paths);
