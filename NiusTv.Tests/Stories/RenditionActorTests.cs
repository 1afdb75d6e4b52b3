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

    private Task<StoryView> WaitFor(IActorRef story, Func<StoryView, bool> until) =>
        Eventually.Until(() => story.Ask<StoryView>(new StoryQueries.GetStory("ferry"), TimeSpan.FromSeconds(5)), until, 20,
            view => view is null ? "story ferry answers" : $"story ferry moves on from {view.State}: {string.Join(", ", view.Steps.Select(s => s.Name + "=" + s.State))}");

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
    }

    void IDisposable.Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
