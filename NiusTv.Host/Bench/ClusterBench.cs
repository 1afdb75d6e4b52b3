using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using NiusTv.Actors.Stories;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;
using Spectre.Console;
using static NiusTv.Actors.Stories.StoryEvents;
using NiusTv.Steps.Tools;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench cluster`: 1, 2 and 3 nodes in this process on loopback, sharing a throwaway PostgreSQL, running
/// the real steps on the sample stories. All nodes share this machine's cores, so more nodes add coordination, not
/// compute: the figures show the cost of the cluster, and what one machine can do.</summary>
public static class ClusterBench
{
    // Failure detection as in the tests, so re-homing is measured in seconds; production keeps Akka's defaults
    // (about 20 s to down a silent node), and the figure below scales with these two settings.
    private const string FastFailover = """
        akka.cluster.failure-detector.heartbeat-interval = 200ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 1500ms
        akka.cluster.split-brain-resolver.stable-after = 2s
        akka.cluster.sharding.retry-interval = 500ms
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """;

    public sealed record NodesRun(int Nodes, int Stories, double WallSeconds, double StoriesPerHour,
        double AllocationMedianMs, double AllocationMaxMs);
    public sealed record RehomeRun(int StoriesMoved, double FirstRestartSeconds, double LastRestartSeconds, string Settings);
    public sealed record Report(string Machine, int Cores, IReadOnlyList<NodesRun> Runs, RehomeRun? Rehome);

    public static Command Command()
    {
        var perRun = new Option<int>("--stories") { Description = "stories per run (copies of the samples under new ids; default 6)", DefaultValueFactory = _ => 6 };
        var cmd = new Command("cluster", "allocation latency, time to re-home a dead node's stories, stories per hour with 1, 2 and 3 nodes on this machine")
            { perRun, CommonOptions.Assets, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            var home = Environment.GetEnvironmentVariable("NIUSTV_HOME") ?? Environment.CurrentDirectory;
            var assets = r.GetValue(CommonOptions.Assets) ?? (Directory.Exists("samples") ? "samples" : Path.Combine(home, "samples"));
            var samples = Directory.GetFiles(Path.Combine(assets, "stories"), "*.json").Order().Select(File.ReadAllText).ToList();
            var json = r.GetValue(CommonOptions.Json);
            var count = r.GetValue(perRun);
            await using var postgres = new ThrowawayPostgres();
            await postgres.StartAsync();
            var runs = new List<NodesRun>();
            for (var n = 1; n <= 3; n++)
            {
                if (!json) Console.Error.WriteLine($"bench: {n} node(s), {count} stories…");
                runs.Add(await Throughput(n, count, samples, assets, await postgres.CreateDatabaseAsync(), ct));
            }
            if (!json) Console.Error.WriteLine("bench: 3 nodes, killing one mid-run…");
            var rehome = await Rehome(count, samples, assets, await postgres.CreateDatabaseAsync(), ct);
            var report = new Report(Environment.MachineName, Environment.ProcessorCount, runs, rehome);
            if (json) Console.WriteLine(JsonSerializer.Serialize(report, NodeHost.Json));
            else Print(report);
            return 0;
        });
        return cmd;
    }

    private sealed class Cluster3(List<WebApplication> apps, List<NodeSettings> settings, DirectoryInfo scratch) : IAsyncDisposable
    {
        public List<WebApplication> Apps { get; } = apps;
        public List<NodeSettings> Settings { get; } = settings;

        public ActorSystem System(int i) => Apps[i].Services.GetRequiredService<ActorSystem>();

        public async ValueTask DisposeAsync()
        {
            foreach (var app in Apps)
            {
                try { await app.StopAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { } // a killed node has nothing to stop
                await app.DisposeAsync();
            }
            scratch.Delete(recursive: true);
        }
    }

    private static async Task<Cluster3> Start(int nodes, string assets, string journal, CancellationToken ct)
    {
        var scratch = Directory.CreateTempSubdirectory("nius-bench-cluster-");
        var ports = Enumerable.Range(0, nodes).Select(_ => LoopbackPorts.Free()).ToList();
        var apps = new List<WebApplication>();
        var all = new List<NodeSettings>();
        for (var i = 0; i < nodes; i++)
        {
            var settings = new NodeSettings
            {
                DataDir = Path.Combine(scratch.FullName, "node" + i), Out = Path.Combine(scratch.FullName, "out"), Assets = assets,
                Admin = $"127.0.0.1:{LoopbackPorts.Free()}", Port = ports[i], Seeds = [$"127.0.0.1:{ports[0]}"],
                Journal = "postgres:" + journal,
            };
            var app = NodeHost.Build(settings, LogLevel.Warning, FastFailover);
            await app.StartAsync(ct);
            apps.Add(app);
            all.Add(settings);
        }
        var cluster = new Cluster3(apps, all, scratch);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Akka.Cluster.Cluster.Get(cluster.System(0)).State.Members.Count(m => m.Status == MemberStatus.Up) < nodes)
        {
            if (DateTime.UtcNow > deadline) throw new CliException($"the {nodes}-node cluster did not come up in 60 s");
            await Task.Delay(100, ct);
        }
        // Shards can only go to regions registered with the coordinator; then let every worker report its load once.
        var region = await Akka.Hosting.ActorRegistry.For(cluster.System(0)).GetAsync<StoryActor>(ct);
        while ((await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(3), ct)).Regions.Count < nodes)
        {
            if (DateTime.UtcNow > deadline) throw new CliException($"the {nodes} story regions did not register in 60 s");
            await Task.Delay(100, ct);
        }
        await Task.Delay(1500, ct);
        return cluster;
    }

    /// <summary>Copies of the samples under new ids, so each run starts fresh stories (new shards to allocate).</summary>
    private static IEnumerable<(string Id, string Json)> Stories(IReadOnlyList<string> samples, int count, string tag) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var doc = JsonNode.Parse(samples[i % samples.Count])!;
            var id = $"{doc["id"]!.GetValue<string>()}-{tag}-{i}";
            doc["id"] = id.Length <= 64 ? id : id[^64..].TrimStart('-');
            return (doc["id"]!.GetValue<string>(), doc.ToJsonString());
        });

    private static async Task<(List<string> Ids, List<double> LatenciesMs)> Post(AdminClient client, IEnumerable<(string Id, string Json)> stories, CancellationToken ct)
    {
        var ids = new List<string>();
        var latencies = new List<double>();
        foreach (var (id, text) in stories)
        {
            // Accepted = its shard allocated (new story, new shard), the entity started, the revision journaled.
            var watch = Stopwatch.StartNew();
            var posted = await client.PostAsync("api/stories", text, ct);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            if (!posted.Ok) throw new CliException($"{id}: {posted.ErrorText}");
            ids.Add(id);
        }
        return (ids, latencies);
    }

    private static async Task<NodesRun> Throughput(int nodes, int count, IReadOnlyList<string> samples, string assets, string journal, CancellationToken ct)
    {
        await using var cluster = await Start(nodes, assets, journal, ct);
        using var client = new AdminClient(cluster.Settings[0].Admin, null);
        var wall = Stopwatch.StartNew();
        var (ids, latencies) = await Post(client, Stories(samples, count, $"n{nodes}"), ct);
        var views = await NodeVerbs.FollowAsync(client, ids, quiet: true, ct);
        var seconds = wall.Elapsed.TotalSeconds;
        if (views.FirstOrDefault(v => v.State != "completed") is { } bad)
            throw new CliException($"{bad.Id} did not complete: {bad.Error}");
        latencies.Sort();
        return new NodesRun(nodes, count, Math.Round(seconds, 1), Math.Round(count / seconds * 3600),
            Math.Round(latencies[latencies.Count / 2], 1), Math.Round(latencies[^1], 1));
    }

    /// <summary>Three nodes; the third is killed (its actor system terminated without leaving) once its stories are
    /// under way. Measured from the kill to each moved story's first step started on a surviving node.</summary>
    private static async Task<RehomeRun> Rehome(int count, IReadOnlyList<string> samples, string assets, string journal, CancellationToken ct)
    {
        await using var cluster = await Start(3, assets, journal, ct);
        using var client = new AdminClient(cluster.Settings[0].Admin, null);
        var catalog = new StoryCatalog(cluster.System(0), StoryPersistence.QueryPluginId);
        var (ids, _) = await Post(client, Stories(samples, count, "kill"), ct);
        var victim = StoryActor.NodeName(cluster.System(2));

        List<string> inFlight = [];
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (inFlight.Count == 0)
        {
            if (DateTime.UtcNow > deadline) throw new CliException("no story was ever in flight on the third node");
            foreach (var id in ids)
            {
                var events = await catalog.EventsAsync(id, ct);
                if (events.OfType<StepStarted>().LastOrDefault()?.Node == victim && events.OfType<StepCompleted>().Any() && !events.OfType<Completed>().Any())
                    inFlight.Add(id);
            }
            if (inFlight.Count == 0) await Task.Delay(100, ct);
        }
        var killedAt = DateTimeOffset.UtcNow;
        await cluster.System(2).Terminate();

        var restarts = new Dictionary<string, DateTimeOffset>();
        deadline = DateTime.UtcNow.AddMinutes(2);
        while (restarts.Count < inFlight.Count)
        {
            if (DateTime.UtcNow > deadline) throw new CliException($"stories not re-homed within 2 minutes: {string.Join(", ", inFlight.Except(restarts.Keys))}");
            foreach (var id in inFlight.Except(restarts.Keys).ToList())
                if ((await catalog.EventsAsync(id, ct)).OfType<StepStarted>().FirstOrDefault(s => s.At > killedAt && s.Node != victim) is { } moved)
                    restarts[id] = moved.At;
            await Task.Delay(50, ct);
        }
        await NodeVerbs.FollowAsync(client, ids, quiet: true, ct);
        var secs = restarts.Values.Select(t => (t - killedAt).TotalSeconds).Order().ToList();
        return new RehomeRun(inFlight.Count, Math.Round(secs[0], 2), Math.Round(secs[^1], 2),
            "heartbeat 200 ms, acceptable pause 1.5 s, keep-majority stable-after 2 s");
    }

    private static void Print(Report report)
    {
        var table = new Table().AddColumns("nodes", "stories", "wall s", "stories / hour", "allocation median ms", "allocation max ms");
        foreach (var r in report.Runs)
            table.AddRow($"{r.Nodes}", $"{r.Stories}", $"{r.WallSeconds:0.0}", $"{r.StoriesPerHour:0}", $"{r.AllocationMedianMs:0.0}", $"{r.AllocationMaxMs:0.0}");
        AnsiConsole.Write(table);
        if (report.Rehome is { } h)
            Console.WriteLine($"killed a node with {h.StoriesMoved} stories in flight: restarted elsewhere after {h.FirstRestartSeconds:0.00}–{h.LastRestartSeconds:0.00} s ({h.Settings})");
        Console.WriteLine($"{report.Cores} cores ({report.Machine}); all nodes share them, so more nodes cannot add compute here.");
    }
}
