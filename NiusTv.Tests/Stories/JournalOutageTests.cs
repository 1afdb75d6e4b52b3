using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Stories;

/// <summary>The SQLite journal on a small filesystem this test mounts (a 4 MB tmpfs), filled up mid-run: a publish is
/// answered at once with the cause, the node's journal watch says it cannot write, the refused story is never applied
/// later, and all of it recovers when space returns.</summary>
public sealed class JournalOutageTests : Akka.Hosting.TestKit.TestKit, IDisposable
{
    private static readonly string[] Pipeline = ["init", "publish"];
    private static readonly NiusTv.Steps.Pipeline StepOrder = NiusTv.Steps.Pipeline.Of(Pipeline);
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-outage-").FullName;
    private readonly string _journalDir;
    private readonly SmallDisk _disk;
    private readonly Dictionary<string, ScriptedStep> _steps;

    public JournalOutageTests(ITestOutputHelper output) : base("journal-outage-tests", output)
    {
        _disk = new SmallDisk(Path.Combine(_dir, "journal"), 4);
        _journalDir = _disk.Path;
        _steps = Pipeline.ToDictionary(n => n, n => new ScriptedStep(n, Path.Combine(_dir, "out")));
    }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddStoryPersistence(JournalKind.Sqlite, $"Data Source={Path.Combine(_journalDir, "journal.db")}")
            .WithActors((system, registry) =>
                registry.Register<StepPools>(system.ActorOf(StepPools.Create(_steps.Values,
                    new StepPoolSizes(Pipeline.ToDictionary(n => n, _ => 2))), "step-pools")));

    private StoryRuntimeSettings Settings => new(Path.Combine(_dir, "workspaces"),
        new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)));

    private static Story Sample(string id) => new(id, "Story " + id, ["A sentence for " + id + "."], [],
        "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);

    private async Task<JournalWatchProtocol.JournalStatus> Status() =>
        await (await ActorRegistry.GetAsync<JournalWatch>()).Ask<JournalWatchProtocol.JournalStatus>(
            JournalWatchProtocol.GetJournalStatus.Instance, TimeSpan.FromSeconds(5));

    [Fact]
    public async Task A_full_journal_disk_refuses_publishes_at_once_with_the_cause_and_recovers_when_space_returns()
    {
        // The TestKit is disposed asynchronously, which skips IDisposable: the mount goes with the test itself.
        try { await RefusesAndRecovers(); }
        finally { _disk.Dispose(); }
    }

    private async Task RefusesAndRecovers()
    {
        var catalog = new StoryCatalog(Sys, StoryPersistence.QueryPluginId);
        var first = Sys.ActorOf(StoryActor.Create("before-full", Settings, StepOrder, ActorRegistry.Get<StepPools>()));
        Assert.True((await first.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("before-full")), TimeSpan.FromSeconds(10))).IsNewRevision);
        Assert.True((await Status()).Writable);

        var filler = _disk.FillUp();
        var refused = Sys.ActorOf(StoryActor.Create("while-full", Settings, StepOrder, ActorRegistry.Get<StepPools>()));
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<JournalUnavailableException>(() =>
            refused.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("while-full")), TimeSpan.FromSeconds(20)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"answered after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("the journal could not store story while-full", e.Message);
        Assert.Contains("full", e.Message, StringComparison.OrdinalIgnoreCase);
        var down = await Status();
        Assert.False(down.Writable);
        Assert.NotNull(down.Problem);

        File.Delete(filler);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await Status()).Writable)
        {
            Assert.True(DateTime.UtcNow < deadline, "the journal watch never saw the journal writable again");
            await Task.Delay(200);
        }
        // The refused publish was never applied, not even now that the journal works again: the actor that took it
        // stopped with the failed write, and a fresh publish below becomes revision 1, not 2.
        Assert.Empty(await catalog.EventsAsync("while-full"));
        var again = Sys.ActorOf(StoryActor.Create("while-full", Settings, StepOrder, ActorRegistry.Get<StepPools>()), "while-full-again");
        var accepted = await again.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("while-full")), TimeSpan.FromSeconds(10));
        Assert.Equal((1, true), (accepted.Revision, accepted.IsNewRevision));
        Assert.Single((await catalog.EventsAsync("while-full")).OfType<Accepted>());
    }

    void IDisposable.Dispose()
    {
        _disk.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
