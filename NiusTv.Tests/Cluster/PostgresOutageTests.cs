using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Stories;
using NiusTv.Tests.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Cluster;

/// <summary>PostgreSQL stopped mid-run under a node: a publish is answered at once with the cause, the journal watch
/// says the journal cannot write, the refused revision is never applied, and all of it recovers when the server is
/// back.</summary>
[Collection("cluster")]
[Trait("Speed", "Slow")]
public sealed class PostgresOutageTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly string[] Pipeline = ["init", "publish"];
    private static readonly NiusTv.Steps.Pipeline StepOrder = NiusTv.Steps.Pipeline.Of(Pipeline);
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-pg-outage-").FullName;
    private IHost? _host;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        try { await postgres.ResumeAsync(); } catch (InvalidOperationException) { } // already running
        if (_host is not null)
        {
            await _host.StopAsync(TimeSpan.FromSeconds(10));
            _host.Dispose();
        }
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>One node on <paramref name="journal"/> with scripted steps, one run of each at a time.</summary>
    private async Task<ActorSystem> StartNode(string name, string journal)
    {
        var steps = Pipeline.Select(n => new ScriptedStep(n, Path.Combine(_dir, "out"))).ToList();
        _host = new HostBuilder().ConfigureServices(services => services.AddAkka(name, akka => akka
            .AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend)
            .AddStoryPersistence(JournalKind.Postgres, journal)
            .WithActors((system, registry) => registry.Register<StepPools>(system.ActorOf(
                StepPools.Create(steps, new StepPoolSizes(Pipeline.ToDictionary(n => n, _ => 1))), "step-pools"))))).Build();
        await _host.StartAsync();
        return _host.Services.GetRequiredService<ActorSystem>();
    }

    private static Story Version(string title) => new("pg-story", title, ["A sentence."], [], "default", "default",
        StoryPriority.Normal, StoryOutput.LocalDefault);

    [Fact]
    public async Task On_postgres_a_story_past_n_events_saves_an_owned_snapshot_and_recovers_from_it_to_the_same_view()
    {
        var journal = await postgres.CreateDatabaseAsync();
        var system = await StartNode("pg-snapshot", journal);
        var pools = ActorRegistry.For(system).Get<StepPools>();
        // A full run of init and publish is 6 events: the snapshot lands on the last, the retry's events replay on top.
        var settings = new StoryRuntimeSettings(Path.Combine(_dir, "workspaces"),
            new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)), SnapshotEvery: 6);
        var story = system.ActorOf(StoryActor.Create("pg-story", settings, StepOrder, pools));
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Version("First")), TimeSpan.FromSeconds(20));
        var catalog = new StoryCatalog(system, StoryPersistence.QueryPluginId);
        await Eventually.Until(async () => (await catalog.EventsAsync("pg-story")).OfType<Completed>().Any(), 30, "the story completes");
        await story.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("pg-story", "publish", "operator"), TimeSpan.FromSeconds(20));
        await Eventually.Until(async () => (await catalog.EventsAsync("pg-story")).OfType<Completed>().Count() == 2, 30, "the retry completes");
        var before = await story.Ask<StoryView>(new StoryQueries.GetStory("pg-story"), TimeSpan.FromSeconds(10));

        (long, string, long)? row = null;
        await Eventually.Until(async () => (row = await SnapshotRow(journal, "story-pg-story")) is not null, 10, "the snapshot is saved");
        Assert.Equal((6L, "story.snapshot.v1", (long)StoryEventSerializer.SerializerId), row);
        Assert.True(await story.GracefulStop(TimeSpan.FromSeconds(10)));

        var after = await system.ActorOf(StoryActor.Create("pg-story", settings, StepOrder, pools)).Ask<StoryView>(new StoryQueries.GetStory("pg-story"), TimeSpan.FromSeconds(10));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(before), System.Text.Json.JsonSerializer.Serialize(after));
    }

    /// <summary>DatabaseMapping.PostgreSql keeps Akka.Persistence.PostgreSql's table names: snapshots are in snapshot_store.</summary>
    private static async Task<(long, string, long)?> SnapshotRow(string connectionString, string persistenceId)
    {
        await using var db = new Npgsql.NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            "SELECT sequence_nr, manifest, serializer_id FROM snapshot_store WHERE persistence_id = @id ORDER BY sequence_nr DESC LIMIT 1", db);
        cmd.Parameters.AddWithValue("id", persistenceId);
        await using var r = await cmd.ExecuteReaderAsync();
        return await r.ReadAsync() ? (r.GetInt64(0), r.GetString(1), Convert.ToInt64(r.GetValue(2))) : null;
    }

    [Fact]
    public async Task A_stopped_database_refuses_a_revision_with_the_cause_and_the_node_recovers_when_it_returns()
    {
        var journal = await postgres.CreateDatabaseAsync();
        var system = await StartNode("pg-outage", journal);
        var registry = ActorRegistry.For(system);
        var settings = new StoryRuntimeSettings(Path.Combine(_dir, "workspaces"), new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)));
        var story = system.ActorOf(StoryActor.Create("pg-story", settings, StepOrder, registry.Get<StepPools>()));
        async Task<JournalWatchProtocol.JournalStatus> Status() =>
            await (await registry.GetAsync<JournalWatch>()).Ask<JournalWatchProtocol.JournalStatus>(JournalWatchProtocol.GetJournalStatus.Instance, TimeSpan.FromSeconds(5));

        Assert.Equal(1, (await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Version("First")), TimeSpan.FromSeconds(20))).Revision);
        var catalog = new StoryCatalog(system, StoryPersistence.QueryPluginId);
        await Eventually.Until(async () => (await catalog.EventsAsync("pg-story")).OfType<Completed>().Any(), 30, "revision 1 completes");

        postgres.Stop();
        var e = await Assert.ThrowsAsync<JournalUnavailableException>(() =>
            story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Version("While down")), TimeSpan.FromSeconds(30)));
        Assert.Contains("the journal could not store story pg-story", e.Message);
        await Eventually.Until(async () => !(await Status()).Writable, 20, "the journal watch knows the journal is down");

        await postgres.ResumeAsync();
        await Eventually.Until(async () => (await Status()).Writable, 40, "the journal watch sees the journal writable again");
        var again = system.ActorOf(StoryActor.Create("pg-story", settings, StepOrder, registry.Get<StepPools>()));
        var second = await again.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Version("After")), TimeSpan.FromSeconds(20));
        Assert.Equal((2, true), (second.Revision, second.IsNewRevision));
        var accepted = (await catalog.EventsAsync("pg-story")).OfType<Accepted>().ToList();
        Assert.Equal([1, 2], accepted.Select(a => a.Revision));
        Assert.DoesNotContain(accepted, a => a.StoryJson.Contains("While down"));
    }
}
