using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using NiusTv.Actors.Stories;
using NiusTv.Steps;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Stories;

/// <summary>A step for rendition tests: writes a real file as the run's rendition keeps it, records what each run
/// was given, and fails when told to.</summary>
public sealed class RenditionScriptedStep(string name) : IStoryStep
{
    public string Name => name;
    public string Backend => "scripted";
    public ConcurrentQueue<StepInput> Runs { get; } = new();
    /// <summary>Throws for a run it returns a failure for.</summary>
    public Func<StepInput, StepFailure?>? Fail { get; set; }

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        Runs.Enqueue(input);
        if (Fail?.Invoke(input) is { } failure) throw failure;
        var key = input.Own(new ArtifactKey(name + ".out"));
        var path = key.In(input.Workspace);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, $"{name} of {input.Story.Id} at {input.Output}", ct);
        return StepOutput.Files([key]);
    }
}

/// <summary>A story with renditions through the StoryActor and a real SQLite journal: the steps of the whole story
/// run once, render and compose once per rendition, and a retry after one rendition's compose failed does not run
/// the other rendition's steps again, as the persisted events show.</summary>
public sealed class RenditionActorTests : Akka.Hosting.TestKit.TestKit, IDisposable
{
    private static readonly string[] Names = ["init", "speech", "phonemes", "landmarks", "render", "compose", "publish"];
    private static readonly Pipeline Template = new(Names.Select(n =>
        new StepDefinition(n, [], [], PoolSize.Fixed(1)) { PerRendition = n is "render" or "compose" }));
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-renditions-").FullName;
    private readonly Dictionary<string, RenditionScriptedStep> _steps = Names.ToDictionary(n => n, n => new RenditionScriptedStep(n));

    public RenditionActorTests(ITestOutputHelper output) : base("rendition-actor-tests", output) { }

    private StoryRuntimeSettings Settings => new(Path.Combine(_dir, "workspaces"),
        new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)));

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddStoryPersistence(JournalKind.Sqlite, $"Data Source={Path.Combine(_dir, "journal.db")}")
            .WithActors((system, registry) =>
                registry.Register<StepPools>(system.ActorOf(StepPools.Create(_steps.Values,
                    new StepPoolSizes(Names.ToDictionary(n => n, _ => 2))), "step-pools")));

    private StoryCatalog Catalog => new(Sys, StoryPersistence.QueryPluginId);

    private static readonly Story Story = new("ferry", "Ferry returns", ["The ferry runs again."], [], "default", "default",
        StoryPriority.Normal, new StoryOutput(640, 360, 25), Renditions: [new("landscape", new(640, 360, 25)), new("portrait", new(360, 640, 30))]);

    private Task<StoryView> WaitFor(IActorRef story, Func<StoryView, bool> until) => WaitFor(story, "ferry", until);

    private static Task<StoryView> WaitFor(IActorRef story, string id, Func<StoryView, bool> until) =>
        Eventually.Until(() => story.Ask<StoryView>(new StoryQueries.GetStory(id), TimeSpan.FromSeconds(5)), until, 20,
            view => view is null ? $"story {id} answers" : $"story {id} moves on from {view.State}: {string.Join(", ", view.Steps.Select(s => s.Name + "=" + s.State))}");

    private static string Describe(IStoryEvent e) => e switch
    {
        StepStarted s => "start " + s.Step,
        StepCompleted c => "done " + c.Step,
        StepFailed f => "fail " + f.Step,
        RetryRequested r => "retry " + r.FromStep,
        _ => e.GetType().Name,
    };

    [Fact]
    public async Task A_failed_compose_of_one_rendition_retried_runs_only_that_compose_and_publish_again()
    {
        // The portrait compose fails for good the first time (a permanent failure: no automatic retry).
        _steps["compose"].Fail = input => input.Rendition?.Name == "portrait" && _steps["compose"].Runs.Count(r => r.Rendition?.Name == "portrait") == 1
            ? StepFailure.Permanent("ffmpeg could not encode the portrait rendition") : null;
        var story = Sys.ActorOf(StoryActor.Create("ferry", Settings, Template, ActorRegistry.Get<StepPools>()));
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Story), TimeSpan.FromSeconds(10));
        var failed = await WaitFor(story, v => v.State is "failed" or "completed");
        Assert.Equal(("failed", "ffmpeg could not encode the portrait rendition"), (failed.State, failed.Error));

        var retry = await story.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("ferry", null, "operator"), TimeSpan.FromSeconds(10));
        Assert.Equal((true, "compose:portrait"), (retry.Retried, retry.FromStep));
        var view = await WaitFor(story, v => v.State is "completed" or "failed");
        Assert.Equal("completed", view.State);

        var events = (await Catalog.EventsAsync("ferry")).Select(Describe).ToList();
        Assert.Equal([
            "Accepted",
            "start init", "done init", "start speech", "done speech", "start phonemes", "done phonemes", "start landmarks", "done landmarks",
            "start render:landscape", "done render:landscape", "start compose:landscape", "done compose:landscape",
            "start render:portrait", "done render:portrait", "start compose:portrait", "fail compose:portrait", "Failed",
            "retry compose:portrait", "start compose:portrait", "done compose:portrait", "start publish", "done publish", "Completed",
        ], events);

        // Each run was given its own rendition: size, rate and its own files.
        Assert.Equal([null], _steps["landmarks"].Runs.Select(r => r.Rendition?.Name));
        Assert.Equal(["landscape", "portrait"], _steps["render"].Runs.Select(r => r.Rendition!.Name));
        Assert.Equal([new StoryOutput(640, 360, 25), new StoryOutput(360, 640, 30)], _steps["render"].Runs.Select(r => r.Output));
        var publish = Assert.Single(_steps["publish"].Runs);
        Assert.Contains("renditions/landscape/compose.out", publish.Artifacts.Keys);
        Assert.Contains("renditions/portrait/compose.out", publish.Artifacts.Keys);
        Assert.True(File.Exists(Path.Combine(Settings.WorkspaceOf("ferry", 1), "renditions", "portrait", "render.out")));

        // story show: the rendition steps carry their rendition; each rendition lists its own steps.
        Assert.Equal(["render:landscape", "compose:landscape"], view.Renditions!.Single(r => r.Name == "landscape").Steps);
        Assert.Equal("portrait", view.Steps.Single(s => s.Name == "compose:portrait").Rendition);
        Assert.Equal(2, view.Steps.Single(s => s.Name == "compose:portrait").Attempts);
        Assert.Equal(1, view.Steps.Single(s => s.Name == "compose:landscape").Attempts);

        // Once completed, an operator's retry of the landscape compose runs that compose and publish, never the portrait's steps.
        var again = await story.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("ferry", "compose:landscape", "operator"), TimeSpan.FromSeconds(10));
        Assert.True(again.Retried);
        await WaitFor(story, v => v.State == "completed" && v.Steps.Single(s => s.Name == "publish").Attempts == 2);
        var afterRetry = (await Catalog.EventsAsync("ferry")).Select(Describe).Skip(events.Count).ToList();
        Assert.Equal(["retry compose:landscape", "start compose:landscape", "done compose:landscape", "start publish", "done publish", "Completed"], afterRetry);
        Assert.Equal(["landscape", "portrait", "portrait", "landscape"], _steps["compose"].Runs.Select(r => r.Rendition!.Name));
    }

    private sealed record Written;

    /// <summary>Writes events into a story's journal as the code before renditions did.</summary>
    private sealed class JournalWriter : Akka.Persistence.ReceivePersistentActor
    {
        public JournalWriter(string persistenceId)
        {
            PersistenceId = persistenceId;
            Command<IStoryEvent>(e => Persist(e, _ => Sender.Tell(new Written())));
        }

        public override string PersistenceId { get; }
    }

    [Fact]
    public async Task A_single_output_story_journaled_before_renditions_replays_shows_as_before_and_retries_under_its_plain_names()
    {
        // The canonical JSON and plain step names the code before renditions journaled.
        const string json = """{"id":"harbour","title":"Harbour reopens","paragraphs":["The harbour reopened."],"images":[],"presenter":"default","voice":"default","priority":"normal","output":{"width":640,"height":360,"fps":25}}""";
        var at = DateTimeOffset.UtcNow;
        var events = new List<IStoryEvent> { new Accepted("harbour", 1, json, "old-hash", Names, at) };
        foreach (var step in Names)
        {
            events.Add(new StepStarted("harbour", 1, step, 1, "old-node", at));
            events.Add(new StepCompleted("harbour", 1, step, 1, "old", step == "publish"
                ? [new ArtifactRecord("video.mp4", "/out/videos/harbour.mp4", "", 0), new ArtifactRecord("poster.jpg", "/out/videos/harbour.jpg", "", 0)]
                : [], at));
        }
        events.Add(new Completed("harbour", 1, "/out/videos/harbour.mp4", "/out/videos/harbour.jpg", at));
        var writer = Sys.ActorOf(Props.Create(() => new JournalWriter("story-harbour")));
        foreach (var e in events) await writer.Ask<Written>(e, TimeSpan.FromSeconds(10));
        Watch(writer);
        Sys.Stop(writer);
        ExpectTerminated(writer);
        Directory.CreateDirectory(Settings.WorkspaceOf("harbour", 1));

        var story = Sys.ActorOf(StoryActor.Create("harbour", Settings, Template, ActorRegistry.Get<StepPools>()));
        var view = await story.Ask<StoryView>(new StoryQueries.GetStory("harbour"), TimeSpan.FromSeconds(10));
        Assert.Equal(("completed", "/out/videos/harbour.mp4", "/out/videos/harbour.jpg"), (view.State, view.Video, view.Poster));
        Assert.Equal(Names, view.Steps.Select(s => s.Name));
        Assert.All(view.Steps, s => Assert.Null(s.Rendition));
        Assert.Null(view.Renditions);

        var retry = await story.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("harbour", "compose", "operator"), TimeSpan.FromSeconds(10));
        Assert.Equal((true, "compose"), (retry.Retried, retry.FromStep));
        await WaitFor(story, "harbour", v => v.State == "completed" && v.Steps.All(s => s.State == "completed"));
        // compose ran once more for the story's one output, with its plain keys; nothing before it ran.
        var compose = Assert.Single(_steps["compose"].Runs);
        Assert.Null(compose.Rendition);
        Assert.Equal(new StoryOutput(640, 360, 25), compose.Output);
        Assert.True(File.Exists(Path.Combine(Settings.WorkspaceOf("harbour", 1), "compose.out")));
        Assert.Empty(_steps["render"].Runs);
        Assert.Single(_steps["publish"].Runs);
    }

    void IDisposable.Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
