using Akka.Actor;
using Akka.Hosting;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Stories;

public sealed class StoryCatalogTests : Akka.Hosting.TestKit.TestKit, IDisposable
{
    private static readonly string[] Pipeline = ["init", "publish"];
    private static readonly NiusTv.Steps.Pipeline StepOrder = NiusTv.Steps.Pipeline.Of(Pipeline);
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-catalog-").FullName;

    public StoryCatalogTests(ITestOutputHelper output) : base("story-catalog-tests", output) { }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddStoryPersistence(JournalKind.Sqlite, $"Data Source={Path.Combine(_dir, "journal.db")}")
            .WithActors((system, registry) => registry.Register<StepPools>(system.ActorOf(StepPools.Create(
                Pipeline.Select(n => new ScriptedStep(n, Path.Combine(_dir, "out"))), new StepPoolSizes(Pipeline.ToDictionary(n => n, _ => 2))), "step-pools")));

    private StoryRuntimeSettings Settings => new(Path.Combine(_dir, "workspaces"),
        new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)));

    private readonly Dictionary<string, IActorRef> _stories = [];

    private async Task PublishAndFinish(string id, string title = "A story")
    {
        if (!_stories.TryGetValue(id, out var story))
            _stories[id] = story = Sys.ActorOf(StoryActor.Create(id, Settings, StepOrder, ActorRegistry.Get<StepPools>()));
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(new Story(id, title, ["One sentence."], [],
            "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault)), TimeSpan.FromSeconds(10));
        await Eventually.Until(async () => (await story.Ask<StoryView>(new StoryQueries.GetStory(id), TimeSpan.FromSeconds(5))).State == "completed",
            20, $"{id} completes");
    }

    [Fact]
    public async Task A_list_reads_only_what_the_journal_gained_since_the_last_list_and_still_sees_every_change()
    {
        var catalog = new StoryCatalog(Sys, StoryPersistence.QueryPluginId);
        foreach (var id in new[] { "first", "second", "third" }) await PublishAndFinish(id);
        Assert.Equal(["third", "second", "first"], (await catalog.ListAsync()).Select(s => s.Id));
        var afterFirst = catalog.EventsRead;

        Assert.Equal(3, (await catalog.ListAsync()).Count);
        Assert.InRange(catalog.EventsRead - afterFirst, 0, 1); // nothing new: nothing read (the query may repeat its last event)
        afterFirst = catalog.EventsRead;

        await PublishAndFinish("fourth");
        await PublishAndFinish("second", "A story, revised");
        var list = await catalog.ListAsync();
        Assert.Equal(["second", "fourth", "third", "first"], list.Select(s => s.Id));
        Assert.Equal((2, "A story, revised", StoryStatus.Completed), (list[0].Revision, list[0].Story!.Title, list[0].Status));
        // The third list read the events the two publishes added, and not the thirty before them again.
        var added = (await catalog.EventsAsync("fourth")).Count + (await catalog.EventsAsync("second")).Count(e => e.Revision == 2);
        TestContext.Current.SendDiagnosticMessage($"read {afterFirst}, then {catalog.EventsRead - afterFirst} for {added} new story events");
        Assert.InRange(catalog.EventsRead - afterFirst, added, added + 1);
        Assert.Equal("A story, revised", (await catalog.FindAsync("second"))!.Story!.Title);
        Assert.Null(await catalog.FindAsync("never-published"));
    }

    [Fact]
    public async Task A_restart_reads_the_checkpoint_and_only_what_the_journal_gained_since_and_ignores_another_journals()
    {
        var checkpoint = Path.Combine(_dir, "data", "story-catalog.checkpoint");
        foreach (var id in new[] { "first", "second" }) await PublishAndFinish(id);
        var before = new StoryCatalog(Sys, StoryPersistence.QueryPluginId, checkpoint, "sqlite:this-journal");
        Assert.Equal(["second", "first"], (await before.ListAsync()).Select(s => s.Id));
        await before.SaveCheckpointAsync(TimeSpan.FromSeconds(5));
        Assert.True(File.Exists(checkpoint));

        await PublishAndFinish("third", "Published while the node was down");
        var restarted = new StoryCatalog(Sys, StoryPersistence.QueryPluginId, checkpoint, "sqlite:this-journal");
        var list = await restarted.ListAsync();
        Assert.Equal(["third", "second", "first"], list.Select(s => s.Id));
        Assert.Equal(2, restarted.StoriesFromCheckpoint);
        // Only the third story's events (and the query's repeat of the last one it had) were read from the journal.
        Assert.InRange(restarted.EventsRead, (await restarted.EventsAsync("third")).Count, (await restarted.EventsAsync("third")).Count + 1);
        Assert.Equivalent((await before.FindAsync("second"))!, (await restarted.FindAsync("second"))!, strict: true);

        var elsewhere = new StoryCatalog(Sys, StoryPersistence.QueryPluginId, checkpoint, "sqlite:another-journal");
        Assert.Equal(3, (await elsewhere.ListAsync()).Count);
        Assert.Equal(0, elsewhere.StoriesFromCheckpoint);
    }

    [Fact]
    public async Task A_list_right_after_a_publish_asks_the_sequence_actor_for_a_round_instead_of_waiting_for_its_own()
    {
        // On its own the read journal's sequence actor reads the journal's newest offsets only every 10 min.
        Assert.Equal(StoryPersistence.SequenceQueryDelay,
            Sys.Settings.Config.GetTimeSpan(StoryPersistence.QueryPluginId + ".journal-sequence-retrieval.query-delay", null));
        Assert.True(StoryPersistence.SequenceQueryDelay >= TimeSpan.FromSeconds(10));
        var catalog = new StoryCatalog(Sys, StoryPersistence.QueryPluginId);
        Assert.Equal(0, catalog.SequenceRounds); // made, not asked: it asks nothing of the journal
        Assert.Empty(await catalog.ListAsync());
        var rounds = catalog.SequenceRounds;
        Assert.InRange(rounds, 1, 100);

        await PublishAndFinish("fresh");
        // Far under the sequence actor's own 10 min (a list waits about a second; a minute is room for a busy
        // machine): the list asked it for a round and did not wait for its next one.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        // Whether this list asks a round of its own depends on how long ago the last one was (at most one a second),
        // so only what it sees is asserted.
        Assert.Equal(["fresh"], (await catalog.ListAsync(limit.Token)).Select(s => s.Id));
    }

    [Fact]
    public async Task A_damaged_checkpoint_only_makes_the_start_slower()
    {
        var checkpoint = Path.Combine(_dir, "story-catalog.checkpoint");
        await PublishAndFinish("only");
        var catalog = new StoryCatalog(Sys, StoryPersistence.QueryPluginId, checkpoint, "j");
        await catalog.ListAsync();
        await catalog.SaveCheckpointAsync(TimeSpan.FromSeconds(5));
        var bytes = await File.ReadAllBytesAsync(checkpoint);
        await File.WriteAllBytesAsync(checkpoint, bytes[..(bytes.Length / 2)]);

        var restarted = new StoryCatalog(Sys, StoryPersistence.QueryPluginId, checkpoint, "j");
        Assert.Equal(["only"], (await restarted.ListAsync()).Select(s => s.Id));
        Assert.Equal(0, restarted.StoriesFromCheckpoint);
    }

    [Fact]
    public void Pages_follow_one_another_without_repeats_when_newer_stories_arrive_between_them_and_a_forged_cursor_is_refused()
    {
        var t0 = new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
        var stories = Enumerable.Range(1, 5).Select(i => (At: (DateTimeOffset?)t0.AddMinutes(i), Id: $"s{i}")).Reverse().ToList();
        var first = StoryPages.Take(stories, s => (s.At, s.Id), 2, null);
        Assert.Equal(["s5", "s4"], first.Items.Select(s => s.Id));

        var withNewer = stories.Prepend((At: (DateTimeOffset?)t0.AddMinutes(9), Id: "s9")).ToList();
        var second = StoryPages.Take(withNewer, s => (s.At, s.Id), 2, first.NextCursor);
        Assert.Equal(["s3", "s2"], second.Items.Select(s => s.Id));
        var last = StoryPages.Take(withNewer, s => (s.At, s.Id), 2, second.NextCursor);
        Assert.Equal(["s1"], last.Items.Select(s => s.Id));
        Assert.Null(last.NextCursor);

        var e = Assert.Throws<FormatException>(() => StoryPages.Take(stories, s => (s.At, s.Id), 2, "not-a-cursor"));
        Assert.Contains("cursor 'not-a-cursor'", e.Message);
    }

    void IDisposable.Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
