using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using NiusTv.Actors.Ingest;
using NiusTv.Actors.Sharding;
using NiusTv.Actors.Stories;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;
using NiusTv.Steps;
using NiusTv.Steps.Cloud;
using Spectre.Console;
using NiusTv.Steps.Tools;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench ingest`: how long a story published to Pub/Sub waits before a node has accepted it
/// (pulled, validated, persisted as a revision). Messages arrive one at a time at random intervals, as editors
/// publish, so an intake that parks on stale pulls shows up in the tail. Intake only: the node's pipeline is empty,
/// so the figure is not mixed with the CPU the steps would take.</summary>
public static class IngestBench
{
    public sealed record Report(string Machine, int Cores, string Emulator, int Messages, int Accepted, double MeanGapMs,
        double P50Ms, double P99Ms, double MaxMs, double WallSeconds);

    public static Command Command()
    {
        var messages = new Option<int>("--messages") { Description = "stories to publish (default 200)", DefaultValueFactory = _ => 200 };
        var gap = new Option<int>("--mean-gap-ms") { Description = "mean pause between publishes, drawn uniformly from 0 to twice this (default 300)", DefaultValueFactory = _ => 300 };
        var seed = new Option<int>("--seed") { Description = "random seed for the pauses (default 1)", DefaultValueFactory = _ => 1 };
        var cmd = new Command("ingest", "Pub/Sub publish-to-accepted latency (p50/p99) over messages at random intervals, on the emulator (PUBSUB_EMULATOR_HOST, or one started here)")
            { messages, gap, seed, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            var json = r.GetValue(CommonOptions.Json);
            var count = r.GetValue(messages);
            var meanGap = r.GetValue(gap);
            if (count < 1) throw new CliException("--messages: give at least 1", 2);
            if (meanGap < 0) throw new CliException("--mean-gap-ms: give 0 or more", 2);

            var given = Environment.GetEnvironmentVariable(PubSubRestClient.EmulatorVariable);
            await using var started = string.IsNullOrWhiteSpace(given) ? await StartEmulator(json, ct) : null;
            var hostPort = started?.HostPort ?? given!.Trim();
            var project = "bench-ingest-" + Guid.NewGuid().ToString("N")[..8];
            using var nodeClient = new PubSubRestClient(new Uri($"http://{hostPort}/"), project, GoogleAccessTokens.None);
            using var publisher = new PubSubRestClient(new Uri($"http://{hostPort}/"), project, GoogleAccessTokens.None);
            await publisher.EnsureTopicAsync(PubSubNames.StoriesTopic, ct);
            await publisher.EnsureSubscriptionAsync(PubSubNames.WorkersSubscription, PubSubNames.StoriesTopic, 30, ct);

            var scratch = Directory.CreateTempSubdirectory("nius-bench-ingest-");
            try
            {
                var acceptedAt = new ConcurrentDictionary<string, long>();
                using var host = BuildNode(scratch.FullName, nodeClient);
                await host.StartAsync(ct);
                var system = host.Services.GetRequiredService<ActorSystem>();
                var listener = system.ActorOf(Props.Create(() => new AcceptedListener(acceptedAt)));
                system.EventStream.Subscribe(listener, typeof(StoryEventPersisted));
                await WaitUntilReady(system, ct);

                var random = new Random(r.GetValue(seed));
                var publishedAt = new Dictionary<string, long>();
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < count; i++)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * 2 * meanGap), ct);
                    var id = $"ingest-{i:0000}";
                    publishedAt[id] = Stopwatch.GetTimestamp();
                    await publisher.PublishAsync(PubSubNames.StoriesTopic, [new OutgoingMessage(StoryJson(id), new Dictionary<string, string>())], ct);
                    if (!json && (i + 1) % 20 == 0) Console.Error.WriteLine($"bench: {i + 1}/{count} published, {acceptedAt.Count} accepted");
                }
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (acceptedAt.Count < count && DateTime.UtcNow < deadline) await Task.Delay(50, ct);
                var wall = clock.Elapsed.TotalSeconds;
                await host.StopAsync(CancellationToken.None);

                var latencies = publishedAt.Where(p => acceptedAt.ContainsKey(p.Key))
                    .Select(p => Stopwatch.GetElapsedTime(p.Value, acceptedAt[p.Key]).TotalMilliseconds).Order().ToList();
                var report = new Report(Environment.MachineName, Environment.ProcessorCount, started is null ? hostPort : "started here",
                    count, latencies.Count, meanGap, Percentile(latencies, 0.50), Percentile(latencies, 0.99),
                    latencies.Count == 0 ? double.NaN : Math.Round(latencies[^1], 1), Math.Round(wall, 1));
                if (json) Console.WriteLine(JsonSerializer.Serialize(report, NodeHost.Json));
                else Print(report);
                return report.Accepted == count ? 0 : 1;
            }
            finally
            {
                try { scratch.Delete(recursive: true); } catch (IOException) { }
            }
        });
        return cmd;
    }

    private static async Task<PubSubEmulatorProcess> StartEmulator(bool json, CancellationToken ct)
    {
        if (!json) Console.Error.WriteLine("bench: starting the Pub/Sub emulator…");
        try { return await PubSubEmulatorProcess.StartAsync(ct); }
        catch (InvalidOperationException e) { throw new CliException(e.Message, 2); }
    }

    /// <summary>One worker node as `nius node --pubsub` builds it (sharded StoryActors on a SQLite journal, the
    /// IngestActor feeding them), with no steps.</summary>
    private static IHost BuildNode(string dir, IPubSub pubsub)
    {
        var port = LoopbackPorts.Free();
        return new HostBuilder().ConfigureServices(services =>
        {
            services.AddSingleton(new StoryRuntimeSettings(Path.Combine(dir, "workspaces"), RetryPolicy.Default));
            services.AddSingleton(Pipeline.Empty);
            // Akka's own default logger writes to stdout, which carries the --json answer: its warnings go to stderr.
            services.AddLogging(l => l.AddSimpleConsole(o => o.SingleLine = true));
            services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o =>
                o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace);
            services.AddAkka("nius", akka => akka
                .AddHocon("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING", HoconAddMode.Prepend)
                .ConfigureLoggers(l =>
                {
                    l.LogLevel = Akka.Event.LogLevel.WarningLevel;
                    l.ClearLoggers();
                    l.AddLoggerFactory();
                })
                .WithRemoting("127.0.0.1", port)
                .WithClustering(new ClusterOptions { Roles = ["worker"], SeedNodes = [$"akka.tcp://nius@127.0.0.1:{port}"] })
                .AddStoryPersistence(JournalKind.Sqlite, $"Data Source={Path.Combine(dir, "journal.db")}")
                .WithActors((system, registry) => registry.Register<StepPools>(system.ActorOf(
                    StepPools.Create(Array.Empty<IStoryStep>(), new StepPoolSizes(new Dictionary<string, int>())), "step-pools")))
                .AddStoryActor("worker")
                .AddIngest(pubsub, new IngestSettings(MaxOutstanding: 16)));
        }).Build();
    }

    /// <summary>Until the node is up, its story region answers and ingest has set up its subscription: the figure
    /// is about a running node, not about start-up.</summary>
    private static async Task WaitUntilReady(ActorSystem system, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var registry = ActorRegistry.For(system);
        while (true)
        {
            try
            {
                var region = await registry.GetAsync<StoryActor>(ct);
                await region.Ask<StoryQueries.StoryNotFound>(new StoryQueries.GetStory("bench-probe"), TimeSpan.FromSeconds(2), ct);
                var ingest = await registry.GetAsync<IngestActor>(ct);
                await ingest.Ask<IngestStats>(IngestQueries.GetIngestStats.Instance, TimeSpan.FromSeconds(2), ct);
                await Task.Delay(1000, ct); // ingest's first pull follows its topic and subscription checks
                return;
            }
            catch (AskTimeoutException) when (DateTime.UtcNow < deadline) { }
        }
    }

    private static string StoryJson(string id) => JsonSerializer.Serialize(new
    {
        id, title = "Bench " + id, paragraphs = new[] { "A short sentence for the intake bench." }, images = Array.Empty<object>(),
    });

    private static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)], 1);

    private static void Print(Report r)
    {
        var table = new Table().AddColumns("messages", "accepted", "mean gap ms", "p50 ms", "p99 ms", "max ms", "wall s");
        table.AddRow($"{r.Messages}", $"{r.Accepted}", $"{r.MeanGapMs:0}", $"{r.P50Ms:0.0}", $"{r.P99Ms:0.0}", $"{r.MaxMs:0.0}", $"{r.WallSeconds:0.0}");
        AnsiConsole.Write(table);
        Console.WriteLine($"publish-to-accepted on the Pub/Sub emulator ({r.Emulator}), one node, SQLite journal, {r.Cores} cores ({r.Machine}); intake only, no steps run");
    }

    private sealed class AcceptedListener : ReceiveActor
    {
        public AcceptedListener(ConcurrentDictionary<string, long> acceptedAt) =>
            Receive<StoryEventPersisted>(e =>
            {
                if (e.Event is StoryEvents.Accepted a) acceptedAt.TryAdd(a.StoryId, Stopwatch.GetTimestamp());
            });
    }
}
