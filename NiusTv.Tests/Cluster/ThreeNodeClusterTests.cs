using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NiusTv.Actors.Admission;
using NiusTv.Actors.Scaling;
using NiusTv.Actors.Sharding;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Stories;
using NiusTv.Tests.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.Cluster;

/// <summary>Three worker nodes in this process, each its own host with its own workspace folder and steps that write
/// real files, sharing one PostgreSQL journal — the shape of a real deployment on loopback.</summary>
[Collection("cluster")]
[Trait("Speed", "Slow")]
public sealed class ThreeNodeClusterTests(PostgresServer postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Pipeline = ["init", "speech", "compose", "publish"];
    private static readonly NiusTv.Steps.Pipeline StepOrder = NiusTv.Steps.Pipeline.Of(Pipeline);

    // Short failure detection so a killed node is downed (keep-majority) within seconds, not the production ~20 s.
    private const string FastFailover = """
        akka.cluster.failure-detector.heartbeat-interval = 200ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 1500ms
        akka.cluster.split-brain-resolver.stable-after = 2s
        akka.cluster.sharding.retry-interval = 500ms
        akka.cluster.sharding.updating-state-timeout = 3s
        akka.remote.dot-netty.tcp.connection-timeout = 2s
        # A killed node must vanish, not leave politely: terminating its system runs no leave phases.
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.loglevel = WARNING
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("nius-cluster-").FullName;
    private readonly List<IHost> _hosts = [];
    private readonly Scaling.SetBacklog _backlog = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            try { await host.StopAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { } // a killed node's host has nothing left to stop
            host.Dispose();
        }
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private async Task<IHost> StartNode(int index, int port, int seedPort, string journal)
    {
        var nodeDir = Path.Combine(_dir, "node" + index);
        var steps = Pipeline.Select(n => new ScriptedStep(n, Path.Combine(_dir, "out")) { Before = _ => Task.Delay(600) }).ToList();
        var host = new HostBuilder().ConfigureServices(services =>
        {
            services.AddSingleton(StepOrder);
            services.AddSingleton(new StoryRuntimeSettings(Path.Combine(nodeDir, "workspaces"),
                new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400))));
            services.AddAkka("nius", akka => akka
                .AddHocon(FastFailover, HoconAddMode.Prepend)
                .WithRemoting("127.0.0.1", port)
                .WithClustering(new ClusterOptions
                {
                    Roles = ["worker", ScalerActor.Role],
                    SeedNodes = [$"akka.tcp://nius@127.0.0.1:{seedPort}"],
                    SplitBrainResolver = new KeepMajorityOption(),
                })
                .AddStoryPersistence(JournalKind.Postgres, journal)
                .WithActors((system, registry) => registry.Register<StepPools>(system.ActorOf(
                    StepPools.Create(steps, new StepPoolSizes(Pipeline.ToDictionary(n => n, _ => 2))), "step-pools")))
                .AddStoryActor("worker", new StoryAffinitySettings(1L << 20, TimeSpan.FromMilliseconds(300)))
                .AddScaler(hasScalerRole: true, backlog: _backlog)
                .AddGpuAdmission(1, TimeSpan.FromMinutes(1)));
        }).Build();
        await host.StartAsync();
        _hosts.Add(host);
        return host;
    }

    private static ActorSystem SystemOf(IHost host) => host.Services.GetRequiredService<ActorSystem>();

    private static Story Sample(string id) => new(id, "Story " + id, ["A sentence for " + id + "."], [],
        "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);

    /// <summary>Starts <paramref name="count"/> nodes on one journal, the first as seed, and waits until every node
    /// sees them all up.</summary>
    private async Task<List<IHost>> StartCluster(int count, string journal)
    {
        var ports = Enumerable.Range(0, count).Select(_ => LoopbackPorts.Free()).ToArray();
        var nodes = new List<IHost>();
        for (var i = 0; i < count; i++) nodes.Add(await StartNode(i, ports[i], ports[0], journal));
        await Eventually.Until(() => Task.FromResult(nodes.All(n => Akka.Cluster.Cluster.Get(SystemOf(n)).State.Members.Count(m => m.Status == MemberStatus.Up) == count)),
            30, $"{count} nodes are up");
        return nodes;
    }

    /// <summary>Members being up is not enough: the coordinator can only place shards on regions that have registered
    /// with it, and on a busy machine that takes a few retries.</summary>
    private static Task RegionsRegistered(IActorRef region, int count) =>
        Eventually.Until(async () => (await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(3))).Regions.Count == count,
            30, $"{count} story regions are registered");

    [Fact]
    public async Task Twelve_stories_spread_over_three_nodes_survive_killing_one_and_each_completes_exactly_once()
    {
        var journal = await postgres.CreateDatabaseAsync();
        var nodes = await StartCluster(3, journal);
        var first = SystemOf(nodes[0]);
        var region = await ActorRegistry.For(first).GetAsync<StoryActor>();
        await RegionsRegistered(region, 3);
        var catalog = new StoryCatalog(first, StoryPersistence.QueryPluginId);
        var ids = Enumerable.Range(1, 12).Select(i => $"story-{i:00}").ToList();
        foreach (var id in ids)
            await region.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample(id)), TimeSpan.FromSeconds(20));

        // Where each story runs: the node named in its first StepStarted.
        async Task<Dictionary<string, IReadOnlyList<IStoryEvent>>> Journal() =>
            (await Task.WhenAll(ids.Select(async id => (id, events: await catalog.EventsAsync(id))))).ToDictionary(x => x.id, x => x.events);
        var events = new Dictionary<string, IReadOnlyList<IStoryEvent>>();
        await Eventually.Until(async () => (events = await Journal()).Values.All(e => e.OfType<StepStarted>().Any()), 30, "every story has started");
        var home = events.ToDictionary(kv => kv.Key, kv => kv.Value.OfType<StepStarted>().First().Node);
        var nodeNames = nodes.Select(n => StoryActor.NodeName(SystemOf(n))).ToList();
        output.WriteLine(string.Join(", ", home.Select(kv => $"{kv.Key}@{kv.Value}")));
        Assert.All(nodeNames, n => Assert.True(home.Values.Count(h => h == n) >= 2, $"{n} got {home.Values.Count(h => h == n)} stories"));

        // Kill the third node once every story it holds has finished a step (so its results exist only on that
        // node's disk) and at least one of them is still running.
        var victim = nodeNames[2];
        var victimStories = home.Where(kv => kv.Value == victim).Select(kv => kv.Key).ToList();
        await Eventually.Until(async () =>
        {
            events = await Journal();
            return victimStories.All(id => events[id].OfType<StepCompleted>().Any()) && victimStories.Any(id => !events[id].OfType<Completed>().Any());
        }, 60, "the victim's stories are mid-pipeline");
        var interrupted = victimStories.Where(id => !events[id].OfType<Completed>().Any()).ToList();
        await SystemOf(nodes[2]).Terminate();
        output.WriteLine($"killed {victim} holding {string.Join(", ", interrupted)} in flight");

        await Eventually.Until(async () => (events = await Journal()).Values.All(e => e.OfType<Completed>().Any()), 120, "all twelve stories complete");
        // A doubled run would be a second incarnation still working: it keeps a survivor's pool busy. Once both
        // survivors' pools are empty, every run has answered, and each story must end at its one Completed.
        await Eventually.Until(async () =>
        {
            var pools = await Task.WhenAll(nodes.Take(2).Select(n => ActorRegistry.For(SystemOf(n)).Get<StepPools>()
                .Ask<List<StepPoolProtocol.PoolState>>(new StepPoolProtocol.GetPoolState(), TimeSpan.FromSeconds(3))));
            return pools.SelectMany(p => p).All(p => p.Running == 0 && p.Queued == 0);
        }, 30, "the survivors' step pools are idle");
        events = await Journal();
        Assert.All(ids, id => Assert.Single(events[id].OfType<Completed>()));
        Assert.All(ids, id => Assert.IsType<Completed>(events[id][^1]));
        foreach (var id in interrupted)
        {
            var lost = Assert.Single(events[id].OfType<ResultsLost>());
            Assert.NotEqual(victim, lost.Node);
            var restarted = events[id].SkipWhile(e => e is not ResultsLost).OfType<StepStarted>().First();
            Assert.Equal(("init", lost.Node), (restarted.Step, restarted.Node));
        }
    }

    [Fact]
    public async Task A_retry_sent_through_the_other_nodes_region_crosses_the_wire_and_its_result_comes_back()
    {
        var journal = await postgres.CreateDatabaseAsync();
        var nodes = await StartCluster(2, journal);
        var first = SystemOf(nodes[0]);
        var region = await ActorRegistry.For(first).GetAsync<StoryActor>();
        await RegionsRegistered(region, 2);

        await region.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("over-the-wire")), TimeSpan.FromSeconds(20));
        var catalog = new StoryCatalog(first, StoryPersistence.QueryPluginId);
        IReadOnlyList<IStoryEvent> events = [];
        await Eventually.Until(async () => (events = await catalog.EventsAsync("over-the-wire")).OfType<Completed>().Any(), 60, "the story completes");

        // Ask from the node that does not hold the story: its region forwards the Retry over remoting, and the
        // RetryResult travels back the same way, both through StoryMessageSerializer.
        var home = events.OfType<StepStarted>().First().Node;
        var away = nodes.Select(SystemOf).First(s => StoryActor.NodeName(s) != home);
        var awayRegion = await ActorRegistry.For(away).GetAsync<StoryActor>();
        var result = await awayRegion.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("over-the-wire", "compose", "operator"), TimeSpan.FromSeconds(20));
        Assert.Equal(("over-the-wire", true, "compose"), (result.StoryId, result.Retried, result.FromStep));
        await Eventually.Until(async () => (await catalog.EventsAsync("over-the-wire")).OfType<Completed>().Count() == 2, 60, "the retried story completes again");
    }

    [Fact]
    public async Task Every_nodes_live_feed_shows_a_story_that_runs_on_the_other_node()
    {
        var journal = await postgres.CreateDatabaseAsync();
        var nodes = await StartCluster(2, journal);
        var region = await ActorRegistry.For(SystemOf(nodes[0])).GetAsync<StoryActor>();
        await RegionsRegistered(region, 2);
        var feeds = nodes.Select(n => new System.Collections.Concurrent.ConcurrentQueue<StoryChanged>()).ToList();
        for (var i = 0; i < nodes.Count; i++)
        {
            var feed = feeds[i];
            var reader = SystemOf(nodes[i]).ActorOf(Props.Create(() => new FeedReader(feed)));
            SystemOf(nodes[i]).EventStream.Subscribe(reader, typeof(StoryChanged));
        }
        // Each node's feed subscribes to the topic at start, and gossip takes a moment to tell the other node: wait
        // until a change published on either node reaches both.
        await Eventually.Until(() =>
        {
            foreach (var node in nodes)
                Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(SystemOf(node)).Mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(StoryChanges.Topic,
                    new StoryChanged("probe-" + StoryActor.NodeName(SystemOf(node)), 0, "unknown", null, "Probe", DateTimeOffset.UtcNow)));
            return Task.FromResult(feeds.All(f => f.Select(c => c.Id).Where(id => id.StartsWith("probe-")).Distinct().Count() == nodes.Count));
        }, 30, "both nodes' probes reach both feeds");

        await region.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("seen-everywhere")), TimeSpan.FromSeconds(20));
        var catalog = new StoryCatalog(SystemOf(nodes[0]), StoryPersistence.QueryPluginId);
        IReadOnlyList<IStoryEvent> events = [];
        await Eventually.Until(async () => (events = await catalog.EventsAsync("seen-everywhere")).OfType<Completed>().Any(), 60, "the story completes");

        // Both feeds, the home node's and the other one's, carry every journaled event of the story in order.
        var journaled = events.Select(e => e.GetType().Name).ToList();
        await Eventually.Until(() => Task.FromResult(feeds.Select(f => f.Where(c => c.Id == "seen-everywhere").Select(c => c.Event).ToList()).ToList()),
            seen => seen.All(f => f.Count == journaled.Count), 20,
            seen => $"both feeds have the {journaled.Count} events of the story ({string.Join(", ", journaled)}); they have: "
                + string.Join(" | ", seen?.Select(f => string.Join(", ", f)) ?? []));
        foreach (var feed in feeds)
        {
            var mine = feed.Where(c => c.Id == "seen-everywhere").ToList();
            Assert.Equal(journaled, mine.Select(c => c.Event));
            Assert.Equal("completed", mine[^1].State);
        }
    }

    private sealed class FeedReader : ReceiveActor
    {
        public FeedReader(System.Collections.Concurrent.ConcurrentQueue<StoryChanged> feed) => Receive<StoryChanged>(feed.Enqueue);
    }

    [Fact]
    public async Task The_scaler_singleton_moves_to_another_node_when_its_node_dies_and_continues_from_its_journaled_decisions()
    {
        var journal = await postgres.CreateDatabaseAsync();
        var nodes = await StartCluster(3, journal);
        var proxy = await ActorRegistry.For(SystemOf(nodes[2])).GetAsync<ScalerActor>();

        // GPU slots are shared cluster-wide: any node sees every node's slot.
        await Eventually.Until(async () => (await GpuAdmissionHosting.ClusterSlotsAsync(SystemOf(nodes[2]), TimeSpan.FromSeconds(2))).Count == 3,
            20, "every node's GPU slot is visible from the third node");

        // The singleton runs on the oldest scaler node: the first one started.
        var before = await proxy.Ask<ScalerProtocol.ScalingView>(new ScalerProtocol.GetScalingView(), TimeSpan.FromSeconds(10));
        var oldest = Akka.Cluster.Cluster.Get(SystemOf(nodes[0])).SelfAddress.ToString();
        Assert.Equal(oldest, before.Host);
        Assert.Equal(3, before.Workers.Count);

        // One decision before the failover: a story waits, one node is wanted (logged only: no GKE here).
        _backlog.Waiting = 1;
        await Eventually.Until(async () =>
        {
            proxy.Tell(new ScalerProtocol.DecideNow());
            before = await proxy.Ask<ScalerProtocol.ScalingView>(new ScalerProtocol.GetScalingView(), TimeSpan.FromSeconds(10));
            return before.Decisions.OfType<ScalerEvents.Applied>().Any();
        }, 20, "the scaler decided one node");
        Assert.Equal(1, before.Target);

        await SystemOf(nodes[0]).Terminate();
        ScalerProtocol.ScalingView? after = null;
        await Eventually.Until(async () =>
        {
            try { after = await proxy.Ask<ScalerProtocol.ScalingView>(new ScalerProtocol.GetScalingView(), TimeSpan.FromSeconds(1)); }
            catch (AskTimeoutException) { return false; } // between the old node's downing and the new singleton's start
            return after.Host != oldest;
        }, 60, "the scaler answers from another node");
        // The next oldest survivor; nodes that came up together are ordered by address, so either may be it.
        Assert.Contains(after!.Host, nodes.Skip(1).Select(n => Akka.Cluster.Cluster.Get(SystemOf(n)).SelfAddress.ToString()));
        Assert.Equal(2, after.Workers.Count);

        // The new incarnation replayed the decision, and its cooldown: seven waiting stories get no second
        // scale-up within the minute after the first.
        Assert.Equal(1, after.Target);
        Assert.Equal(before.Decisions.Count, after.Decisions.Count);
        _backlog.Waiting = 7;
        await Eventually.Until(async () =>
        {
            proxy.Tell(new ScalerProtocol.DecideNow());
            after = await proxy.Ask<ScalerProtocol.ScalingView>(new ScalerProtocol.GetScalingView(), TimeSpan.FromSeconds(10));
            return after.Now?.Contains("up cooldown") == true;
        }, 20, "the new scaler holds for the cooldown of the old one's decision");
        Assert.Equal(1, after.Target);
    }
}
