using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NiusTv.Actors.Sharding;
using NiusTv.Actors.Stories;
using NiusTv.Steps;
using NiusTv.Tests.EndToEnd;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.Stories;

/// <summary>Many editors (or a retrying client) publishing one story id at once, through the real shard region of
/// a one-node cluster: the story passivates when it finishes, and publishes that arrive meanwhile must still be
/// answered and applied.</summary>
public sealed class StoryBurstTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Pipeline = ["init", "speech", "compose", "publish"];
    private static readonly NiusTv.Steps.Pipeline StepOrder = NiusTv.Steps.Pipeline.Of(Pipeline);
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-burst-").FullName;
    private IHost? _host;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(TimeSpan.FromSeconds(10));
            _host.Dispose();
        }
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private async Task<ActorSystem> StartNode(Func<StepInput, Task>? init = null)
    {
        var steps = Pipeline.Select(n => new ScriptedStep(n, Path.Combine(_dir, "out")) { Inspect = n == "init" ? init : null }).ToList();
        var port = LoopbackPorts.Free();
        _host = new HostBuilder().ConfigureServices(services =>
        {
            services.AddSingleton(StepOrder);
            services.AddSingleton(new StoryRuntimeSettings(Path.Combine(_dir, "workspaces"),
                new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400))));
            services.AddAkka("nius", akka => akka
                .AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend)
                .WithRemoting("127.0.0.1", port)
                .WithClustering(new ClusterOptions { Roles = ["worker"], SeedNodes = [$"akka.tcp://nius@127.0.0.1:{port}"] })
                .AddStoryPersistence(JournalKind.Sqlite, $"Data Source={Path.Combine(_dir, "journal.db")}")
                .WithActors((system, registry) => registry.Register<StepPools>(system.ActorOf(
                    StepPools.Create(steps, new StepPoolSizes(Pipeline.ToDictionary(n => n, _ => 2))), "step-pools")))
                .AddStoryActor("worker", new StoryAffinitySettings(1L << 20, TimeSpan.FromMilliseconds(300))));
        }).Build();
        await _host.StartAsync();
        var system = _host.Services.GetRequiredService<ActorSystem>();
        await Eventually.Until(() => Task.FromResult(Akka.Cluster.Cluster.Get(system).SelfMember.Status == MemberStatus.Up), 30, "the node is up");
        return system;
    }

    private static Story Version(string id, string text) => new(id, "Burst " + text, ["Version " + text + " of the story."], [],
        "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);

    [Fact]
    public async Task Twenty_concurrent_publishes_on_one_id_ten_times_over_are_each_answered_truthfully_and_the_last_revision_completes()
    {
        var system = await StartNode();
        var region = await ActorRegistry.For(system).GetAsync<StoryActor>();
        var catalog = new StoryCatalog(system, StoryPersistence.QueryPluginId);
        const string id = "burst";
        var answered = new List<StoryCommands.PublishResult>();

        for (var round = 1; round <= 10; round++)
        {
            // Each round lands while the previous one finishes: the story has just persisted Completed and asked its
            // shard to passivate it, the moment at which queued publishes used to be dropped.
            var replies = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => Task.Run(() =>
                region.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Version(id, $"{round}.{i}")), TimeSpan.FromSeconds(20)))));
            answered.AddRange(replies);
            var last = replies.Max(r => r.Revision);
            await Eventually.Until(async () => (await catalog.EventsAsync(id)).OfType<Completed>().Any(c => c.Revision == last), 30,
                $"round {round}: revision {last} completes");
        }

        var events = await catalog.EventsAsync(id);
        var accepted = events.OfType<Accepted>().ToList();
        output.WriteLine($"{answered.Count} publishes answered, {accepted.Count} revisions accepted");
        // Every publish carried new content, so each was a new revision, and every answer names a distinct one that
        // the journal holds: none lost, none invented, none doubled.
        Assert.Equal(200, answered.Count);
        Assert.All(answered, r => Assert.True(r.IsNewRevision));
        Assert.Equal(Enumerable.Range(1, 200), answered.Select(r => r.Revision).Order());
        Assert.Equal(Enumerable.Range(1, 200), accepted.Select(a => a.Revision));
        Assert.Empty(events.OfType<Failed>());
        Assert.Empty(events.OfType<StepFailed>());

        var view = await region.Ask<StoryView>(new StoryQueries.GetStory(id), TimeSpan.FromSeconds(10));
        Assert.Equal((200, "completed"), (view.Revision, view.State));
    }

    [Fact]
    public async Task A_publish_that_arrives_while_a_failed_story_passivates_is_answered_and_its_revision_runs_to_the_end()
    {
        // Odd revisions fail permanently at init, and as they fail they send the next revision, so it reaches the story
        // while it persists Failed and asks its shard to stop it: the publish must start the story again, not vanish.
        IActorRef region = ActorRefs.Nobody;
        const string id = "after-failure";
        var injected = new List<Task<StoryCommands.PublishResult>>();
        var system = await StartNode(input =>
        {
            if (input.Revision % 2 == 0) return Task.CompletedTask;
            lock (injected)
                if (injected.Count < (input.Revision + 1) / 2) // once per bad revision, even if its init runs again
                    injected.Add(Task.Delay(1).ContinueWith(_ => region.Ask<StoryCommands.PublishResult>(
                        new StoryCommands.Publish(Version(id, $"{input.Revision}b")), TimeSpan.FromSeconds(20))).Unwrap());
            throw StepFailure.Permanent("images[0]: the editor's image is broken");
        });
        region = await ActorRegistry.For(system).GetAsync<StoryActor>();
        var catalog = new StoryCatalog(system, StoryPersistence.QueryPluginId);
        for (var round = 1; round <= 10; round++)
        {
            var bad = await region.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Version(id, $"{round}")), TimeSpan.FromSeconds(20));
            Assert.Equal(2 * round - 1, bad.Revision);
            await Eventually.Until(async () => (await catalog.EventsAsync(id)).OfType<Completed>().Any(c => c.Revision == bad.Revision + 1), 30,
                $"round {round}: revision {bad.Revision + 1} completes");
        }
        var good = await Task.WhenAll(injected);
        Assert.Equal(Enumerable.Range(1, 10).Select(r => 2 * r), good.Select(r => r.Revision));
        var events = await catalog.EventsAsync(id);
        // A bad revision fails unless the next one overtook its failure (then it is abandoned, which is as right).
        output.WriteLine($"{events.OfType<Failed>().Count()} of 10 bad revisions failed before the next arrived");
        Assert.All(events.OfType<Failed>(), f => Assert.Equal(1, f.Revision % 2));
        Assert.Equal(Enumerable.Range(1, 10).Select(r => 2 * r), events.OfType<Completed>().Select(c => c.Revision));
        var view = await region.Ask<StoryView>(new StoryQueries.GetStory(id), TimeSpan.FromSeconds(10));
        Assert.Equal((20, "completed"), (view.Revision, view.State));
    }

    [Fact]
    public async Task A_publish_queued_behind_a_lookup_of_an_unknown_story_runs_each_step_once()
    {
        // A client polls `story show` for a story that a Pub/Sub redelivery is about to publish. The lookup finds
        // nothing and the story asks to passivate; the publish is already in its mailbox behind it. Taken there, the
        // publish started init, the stop interrupted it and the woken story ran it a second time.
        var system = await StartNode();
        var region = await ActorRegistry.For(system).GetAsync<StoryActor>();
        var catalog = new StoryCatalog(system, StoryPersistence.QueryPluginId);
        var ids = Enumerable.Range(1, 8).Select(i => $"looked-up-{i}").ToList();
        var published = new List<Task<StoryCommands.PublishResult>>();
        foreach (var id in ids)
        {
            region.Tell(new StoryQueries.GetStory(id), ActorRefs.NoSender);
            published.Add(region.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Version(id, "1")), TimeSpan.FromSeconds(20)));
        }
        Assert.All(await Task.WhenAll(published), r => Assert.Equal((1, true), (r.Revision, r.IsNewRevision)));
        foreach (var id in ids)
        {
            await Eventually.Until(async () => (await catalog.EventsAsync(id)).OfType<Completed>().Any(), 30, $"{id} completes");
            var events = await catalog.EventsAsync(id);
            Assert.Empty(events.OfType<StepFailed>());
            Assert.Equal(Pipeline, events.OfType<StepStarted>().Select(s => s.Step));
        }
    }
}
