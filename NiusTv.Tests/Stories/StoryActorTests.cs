using System.Collections.Concurrent;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NiusTv.Actors.Stories;
using NiusTv.Steps;
using NiusTv.Steps.Stories;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Stories;

/// <summary>A step for actor tests: writes a real file into the workspace and can be told to fail or to block.
/// The pipeline logic under test is the StoryActor's, not the backends'.</summary>
public sealed class ScriptedStep(string name, string outDir) : IStoryStep
{
    public string Name => name;
    public string Backend => "scripted";
    public int Calls => _calls;
    public Func<int, Task>? Before { get; set; }
    /// <summary>Runs before <see cref="Before"/> with what the step was given, for behaviour that depends on the story.</summary>
    public Func<StepInput, Task>? Inspect { get; set; }
    private int _calls;

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        var call = Interlocked.Increment(ref _calls);
        if (Inspect is { } inspect) await inspect(input);
        if (Before is { } before) await before(call);
        progress.Report(0.5);
        if (name == "publish")
        {
            Directory.CreateDirectory(outDir);
            var video = Path.Combine(outDir, input.Story.Id + ".mp4");
            await File.WriteAllTextAsync(video, "video of " + string.Join(",", input.Artifacts.Keys.Order()), ct);
            return new StepOutput(new Dictionary<string, string> { [NiusTv.Steps.Artifacts.Video.Name] = video, [NiusTv.Steps.Artifacts.Poster.Name] = video });
        }
        var file = name + ".out";
        await File.WriteAllTextAsync(Path.Combine(input.Workspace, file), $"{name} of {input.Story.Id} r{input.Revision}", ct);
        return new StepOutput(new Dictionary<string, string> { [file] = file });
    }
}

public sealed class StoryActorTests : Akka.Hosting.TestKit.TestKit, IDisposable
{
    private static readonly string[] Pipeline = ["init", "speech", "compose", "publish"];
    private static readonly NiusTv.Steps.Pipeline StepOrder = NiusTv.Steps.Pipeline.Of(Pipeline);
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-actor-").FullName;
    private readonly Dictionary<string, ScriptedStep> _steps;

    public StoryActorTests(ITestOutputHelper output) : base("story-actor-tests", output)
    {
        _steps = Pipeline.ToDictionary(n => n, n => new ScriptedStep(n, Path.Combine(_dir, "out")));
    }

    private WorkspaceRetention? _keep;
    private int _snapshotEvery = StoryRuntimeSettings.DefaultSnapshotEvery;

    private TimeProvider _clock = TimeProvider.System;

    private StoryRuntimeSettings Settings => new(Path.Combine(_dir, "workspaces"),
        new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)), _keep, _snapshotEvery) { Clock = _clock };

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        // A fresh SQLite file per test: each test class instance gets its own folder.
        builder.AddStoryPersistence(JournalKind.Sqlite, $"Data Source={Path.Combine(_dir, "journal.db")}")
            .WithActors((system, registry) =>
                registry.Register<StepPools>(system.ActorOf(StepPools.Create(_steps.Values,
                    new StepPoolSizes(Pipeline.ToDictionary(n => n, _ => 2))), "step-pools")));
    }

    private IActorRef StartStory(string id) => Sys.ActorOf(StoryActor.Create(id, Settings, StepOrder, ActorRegistry.Get<StepPools>()));

    private StoryCatalog Catalog => new(Sys, StoryPersistence.QueryPluginId);

    private static Story Sample(string id = "city-budget") => new(id, "City approves budget", ["The council approved the budget."], [],
        "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);

    private static Task<StoryView> WaitFor(IActorRef story, string id, Func<StoryView, bool> until, int seconds = 20) =>
        Eventually.Until(() => story.Ask<StoryView>(new StoryQueries.GetStory(id), TimeSpan.FromSeconds(5)), until, seconds,
            view => view is null ? $"story {id} answers" : $"story {id} moves on from {view.State}: {string.Join(", ", view.Steps.Select(s => s.Name + "=" + s.State))}");

    private async Task StopAndWait(IActorRef actor)
    {
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);
        await Task.Yield();
    }

    [Fact]
    public async Task A_story_journals_accepted_then_started_and_completed_for_every_step_then_completed()
    {
        var story = StartStory("city-budget");
        var reply = await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample()), TimeSpan.FromSeconds(10));
        Assert.Equal((1, true), (reply.Revision, reply.IsNewRevision));
        var view = await WaitFor(story, "city-budget", v => v.State == "completed");

        var events = await Catalog.EventsAsync("city-budget");
        var expected = new List<string> { "Accepted" };
        foreach (var step in Pipeline) expected.AddRange([$"StepStarted:{step}", $"StepCompleted:{step}"]);
        expected.Add("Completed");
        Assert.Equal(expected, events.Select(e => e switch
        {
            StepStarted s => "StepStarted:" + s.Step,
            StepCompleted c => "StepCompleted:" + c.Step,
            _ => e.GetType().Name,
        }));

        // Each completed step carries its artifacts with the checksum of the file as written.
        var speech = events.OfType<StepCompleted>().Single(e => e.Step == "speech");
        var artifact = Assert.Single(speech.Artifacts);
        var file = Path.Combine(Settings.WorkspaceOf("city-budget", 1), artifact.Path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), artifact.Sha256);
        Assert.Equal(Path.Combine(_dir, "out", "city-budget.mp4"), view.Video);
        Assert.All(view.Steps, s => Assert.Equal(1, s.Attempts));
    }

    [Fact]
    public async Task Publishing_the_same_content_again_persists_nothing_and_new_content_makes_revision_two()
    {
        var story = StartStory("city-budget");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample()), TimeSpan.FromSeconds(10));
        await WaitFor(story, "city-budget", v => v.State == "completed");
        var again = await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample()), TimeSpan.FromSeconds(10));
        Assert.Equal((1, false), (again.Revision, again.IsNewRevision));
        Assert.Single((await Catalog.EventsAsync("city-budget")).OfType<Accepted>());

        var changed = Sample() with { Title = "City approves budget after all" };
        var second = await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(changed), TimeSpan.FromSeconds(10));
        Assert.Equal((2, true), (second.Revision, second.IsNewRevision));
        var view = await WaitFor(story, "city-budget", v => v.Revision == 2 && v.State == "completed");
        Assert.Equal("City approves budget after all", view.Title);
        Assert.Equal(2, (await Catalog.EventsAsync("city-budget")).OfType<Completed>().Count());
    }

    [Fact]
    public async Task A_hundred_back_to_back_republishes_never_fail_a_revision_with_the_old_revisions_cancellation()
    {
        // Every step takes a moment and honours cancellation, so each republish abandons work that is still running:
        // the old revision's "cancelled" reply carries the same step and attempt number as the new revision's.
        foreach (var step in _steps.Values) step.Before = _ => Task.Delay(5);
        var story = StartStory("republish");
        var revisions = new List<int>();
        for (var i = 1; i <= 100; i++)
        {
            var reply = await story.Ask<StoryCommands.PublishResult>(
                new StoryCommands.Publish(Sample("republish") with { Title = $"Version {i}" }), TimeSpan.FromSeconds(10));
            revisions.Add(reply.Revision);
        }
        Assert.Equal(Enumerable.Range(1, 100), revisions);
        var view = await WaitFor(story, "republish", v => v.Revision == 100 && v.State is "completed" or "failed");
        Assert.Equal(("completed", (string?)null, "Version 100"), (view.State, view.Error, view.Title));

        var events = await Catalog.EventsAsync("republish");
        Assert.Equal(100, events.OfType<Accepted>().Count());
        Assert.Empty(events.OfType<StepFailed>());
        Assert.Empty(events.OfType<Failed>());
        Assert.All(events.OfType<StepCompleted>(), c => Assert.Equal(1, c.Attempt));
    }

    [Fact]
    public async Task A_publish_that_arrives_after_its_sender_stopped_waiting_is_not_applied()
    {
        var story = StartStory("too-late");
        story.Tell(new StoryCommands.Publish(Sample("too-late"), DateTimeOffset.UtcNow.AddSeconds(-1)));
        var onTime = await story.Ask<StoryCommands.PublishResult>(
            new StoryCommands.Publish(Sample("too-late") with { Title = "On time" }, DateTimeOffset.UtcNow.AddSeconds(30)), TimeSpan.FromSeconds(10));
        Assert.Equal((1, true), (onTime.Revision, onTime.IsNewRevision));
        var accepted = Assert.Single((await Catalog.EventsAsync("too-late")).OfType<Accepted>());
        Assert.Contains("On time", accepted.StoryJson);
    }

    [Fact]
    public async Task A_new_revision_removes_the_abandoned_revisions_workspace_at_once()
    {
        var story = StartStory("city-budget");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample()), TimeSpan.FromSeconds(10));
        await WaitFor(story, "city-budget", v => v.State == "completed");
        Assert.True(Directory.Exists(Settings.WorkspaceOf("city-budget", 1)));
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample() with { Title = "Budget, revised" }), TimeSpan.FromSeconds(10));
        Assert.False(Directory.Exists(Settings.WorkspaceOf("city-budget", 1)));
        await WaitFor(story, "city-budget", v => v.Revision == 2 && v.State == "completed");
        Assert.True(Directory.Exists(Settings.WorkspaceOf("city-budget", 2)));
    }

    [Fact]
    public async Task A_workspace_past_its_time_is_removed_journaled_shown_and_a_retry_rebuilds_it_from_init()
    {
        _keep = new WorkspaceRetention(TimeSpan.Zero, TimeSpan.FromDays(3), TimeSpan.FromMinutes(10));
        var story = StartStory("old-news");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("old-news")), TimeSpan.FromSeconds(10));
        await WaitFor(story, "old-news", v => v.State == "completed");
        var workspace = Settings.WorkspaceOf("old-news", 1);
        Assert.NotEmpty(Directory.GetFiles(workspace));

        story.Tell(new StoryCommands.CleanWorkspace("old-news"));
        var cleaned = await WaitFor(story, "old-news", v => v.ResultsCleanedAt is not null);
        Assert.False(Directory.Exists(Path.Combine(_dir, "workspaces", "old-news")));
        Assert.Equal("completed", cleaned.State);
        Assert.StartsWith("cleaned at ", cleaned.Workspace);
        var journaled = Assert.Single((await Catalog.EventsAsync("old-news")).OfType<ResultsCleaned>());
        Assert.StartsWith("removed by the retention policy: completed", journaled.Reason);

        var retry = await story.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("old-news", "compose", "operator"), TimeSpan.FromSeconds(10));
        Assert.True(retry.Retried);
        var rebuilt = await WaitFor(story, "old-news", v => v.State == "completed" && v.ResultsCleanedAt is null);
        Assert.Equal(2, _steps["init"].Calls); // the results compose needs were gone, so the story began again at init
        Assert.NotEmpty(Directory.GetFiles(workspace));
        Assert.Null(rebuilt.Workspace);
    }

    [Fact]
    public async Task A_story_asked_by_another_nodes_janitor_says_where_it_runs_and_keeps_its_own_workspace()
    {
        _keep = new WorkspaceRetention(TimeSpan.Zero, TimeSpan.FromDays(3), TimeSpan.FromMinutes(10));
        var story = StartStory("moved-news");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("moved-news")), TimeSpan.FromSeconds(10));
        await WaitFor(story, "moved-news", v => v.State == "completed");

        var answer = await story.Ask<StoryCommands.WorkspaceLivesElsewhere>(
            new StoryCommands.CleanWorkspace("moved-news", "10.0.0.9:4053"), TimeSpan.FromSeconds(10));
        Assert.Equal(("moved-news", Sys.Name), (answer.StoryId, answer.Node));
        Assert.NotEmpty(Directory.GetFiles(Settings.WorkspaceOf("moved-news", 1))); // its own results are not the asker's to judge
        Assert.DoesNotContain(await Catalog.EventsAsync("moved-news"), e => e is ResultsCleaned);
    }

    [Fact]
    public async Task A_janitor_removes_the_folder_a_moved_story_left_on_its_node_and_only_that_one()
    {
        var root = Path.Combine(_dir, "janitor-workspaces");
        foreach (var id in new[] { "moved-away", "still-here" }) Directory.CreateDirectory(Path.Combine(root, id, "r1"));
        File.WriteAllText(Path.Combine(root, "moved-away", "r1", "anchor.mkv"), "frames");
        var stories = CreateTestProbe();
        Sys.ActorOf(WorkspaceJanitor.Create(root, stories.Ref, new WorkspaceRetention(TimeSpan.FromHours(6), TimeSpan.FromDays(3), TimeSpan.FromMilliseconds(200))));

        var asked = new[] { stories.ExpectMsg<StoryCommands.CleanWorkspace>(), stories.ExpectMsg<StoryCommands.CleanWorkspace>() };
        Assert.Equal(["moved-away", "still-here"], asked.Select(a => a.StoryId).Order());
        Assert.All(asked, a => Assert.Equal(Sys.Name, a.AskedByNode));
        stories.Reply(new StoryCommands.WorkspaceLivesElsewhere("moved-away", "10.0.0.9:4053"));
        stories.LastSender.Tell(new StoryCommands.WorkspaceLivesElsewhere("../janitor-workspaces", "10.0.0.9:4053"), stories.Ref); // not a story id

        await AwaitConditionAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(root, "moved-away"))), TimeSpan.FromSeconds(5));
        Assert.True(Directory.Exists(Path.Combine(root, "still-here", "r1")));
        Assert.True(Directory.Exists(root));
    }

    [Fact]
    public async Task A_journaled_story_that_todays_rules_refuse_still_recovers_shows_and_can_be_retried()
    {
        // An old journal: accepted before the 64-letter word bound, which now refuses it at publish time.
        var old = Sample("long-word") with { Paragraphs = ["Its " + new string('x', 100) + " was a word then."] };
        Assert.False(StoryParser.Parse(old.ToCanonicalJson()).IsValid);
        var writer = Sys.ActorOf(Props.Create(() => new JournalWriter("story-long-word")));
        await writer.Ask<Done>(new Accepted("long-word", 1, old.ToCanonicalJson(), old.ContentHash(), Pipeline, DateTimeOffset.UtcNow), TimeSpan.FromSeconds(10));
        await StopAndWait(writer);

        var story = StartStory("long-word"); // replays the old Accepted, then runs it
        var view = await WaitFor(story, "long-word", v => v.State is "completed" or "failed");
        Assert.Equal(("completed", old.Title, 1), (view.State, view.Title, view.Revision));
        var retry = await story.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("long-word", "speech", "operator"), TimeSpan.FromSeconds(10));
        Assert.True(retry.Retried);
        await WaitFor(story, "long-word", v => v.State == "completed" && _steps["speech"].Calls == 2);
    }

    private sealed record Done;

    /// <summary>Writes events into a story's journal as an older version of the code would have.</summary>
    private sealed class JournalWriter : Akka.Persistence.ReceivePersistentActor
    {
        public JournalWriter(string persistenceId)
        {
            PersistenceId = persistenceId;
            Command<IStoryEvent>(e => Persist(e, _ => Sender.Tell(new Done())));
        }

        public override string PersistenceId { get; }
    }

    [Fact]
    public async Task A_story_past_n_events_saves_an_owned_snapshot_and_recovers_from_it_to_the_same_view()
    {
        _snapshotEvery = 10; // a full run is 10 events (accepted, 4 × started and completed, completed)
        var story = StartStory("long-lived");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("long-lived")), TimeSpan.FromSeconds(10));
        await WaitFor(story, "long-lived", v => v.State == "completed");
        await story.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("long-lived", "compose", "operator"), TimeSpan.FromSeconds(10));
        var before = await WaitFor(story, "long-lived", v => v.State == "completed" && _steps["compose"].Calls == 2);

        // The snapshot is in the SQL snapshot store, written by our serializer under its versioned manifest.
        (long SequenceNr, string Manifest, long SerializerId)? row = null;
        await Eventually.Until(() => Task.FromResult((row = SnapshotRow("story-long-lived")) is not null), 10, "the snapshot is saved");
        Assert.Equal((10L, "story.snapshot.v1", (long)StoryEventSerializer.SerializerId), row);
        Assert.True((await Catalog.EventsAsync("long-lived")).Count > 10); // events after the snapshot replay on top of it
        await StopAndWait(story);

        var after = await StartStory("long-lived").Ask<StoryView>(new StoryQueries.GetStory("long-lived"), TimeSpan.FromSeconds(10));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(before), System.Text.Json.JsonSerializer.Serialize(after));
    }

    private (long, string, long)? SnapshotRow(string persistenceId)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "journal.db")}");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT sequence_nr, manifest, serializer_id FROM snapshot WHERE persistence_id = $id ORDER BY sequence_nr DESC LIMIT 1";
        cmd.Parameters.AddWithValue("$id", persistenceId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetString(1), r.GetInt64(2)) : null;
    }

    [Fact]
    public async Task A_transient_failure_is_retried_with_backoff_and_then_succeeds()
    {
        var clock = new FakeTimeProvider();
        _clock = clock;
        _steps["speech"].Before = call => call <= 2 ? throw StepFailure.Retryable($"festival crashed (call {call})") : Task.CompletedTask;
        var story = StartStory("retry-me");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("retry-me")), TimeSpan.FromSeconds(10));
        // The backoffs pass on the story's clock: each retry runs once the test moves it on, not after a real wait.
        static bool SpeechRetrying(StoryView v, int attempts) => v.Steps.Single(s => s.Name == "speech") is { State: "retrying" } s && s.Attempts == attempts;
        await WaitFor(story, "retry-me", v => SpeechRetrying(v, 1));
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await WaitFor(story, "retry-me", v => SpeechRetrying(v, 2));
        clock.Advance(TimeSpan.FromMilliseconds(200));
        var view = await WaitFor(story, "retry-me", v => v.State is "completed" or "failed");

        Assert.Equal("completed", view.State);
        var speech = view.Steps.Single(s => s.Name == "speech");
        Assert.Equal(3, speech.Attempts);
        Assert.Equal(["failed", "failed", "completed"], speech.Timeline.Select(t => t.Outcome));
        var failures = (await Catalog.EventsAsync("retry-me")).OfType<StepFailed>().ToList();
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.True(f.Transient));
        // Backoff: the second wait is twice the first.
        Assert.Equal(TimeSpan.FromMilliseconds(100), failures[0].RetryAt - failures[0].At);
        Assert.Equal(TimeSpan.FromMilliseconds(200), failures[1].RetryAt - failures[1].At);
    }

    [Fact]
    public async Task A_permanent_failure_stops_the_story_with_a_sentence_and_runs_no_later_step()
    {
        _steps["init"].Before = _ => throw StepFailure.Permanent("images[0]: 'images/missing.jpg' was not found in the asset store");
        var story = StartStory("broken");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("broken")), TimeSpan.FromSeconds(10));
        var view = await WaitFor(story, "broken", v => v.State is "completed" or "failed");
        Assert.Equal("failed", view.State);
        Assert.Equal("images[0]: 'images/missing.jpg' was not found in the asset store", view.Error);
        Assert.Equal(1, _steps["init"].Calls);
        Assert.Equal(0, _steps["speech"].Calls);
        Assert.Null(view.Video);
    }

    [Fact]
    public async Task Exhausted_retries_fail_the_story_naming_the_step_and_the_last_error()
    {
        _steps["compose"].Before = _ => throw StepFailure.Retryable("ffmpeg exited with 1: broken pipe");
        var story = StartStory("flaky");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("flaky")), TimeSpan.FromSeconds(10));
        var view = await WaitFor(story, "flaky", v => v.State is "completed" or "failed");
        Assert.Equal("failed", view.State);
        Assert.Equal("compose failed 3 times; last error: ffmpeg exited with 1: broken pipe", view.Error);
        Assert.Equal(3, _steps["compose"].Calls);
    }

    [Fact]
    public async Task Recovery_mid_pipeline_resumes_at_the_interrupted_step_without_rerunning_earlier_ones()
    {
        var composeBlocked = new TaskCompletionSource();
        var composeEntered = new TaskCompletionSource();
        _steps["compose"].Before = call =>
        {
            if (call > 1) return Task.CompletedTask;
            composeEntered.TrySetResult();
            return composeBlocked.Task; // the first attempt never finishes: its node "dies"
        };
        var story = StartStory("resume-me");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("resume-me")), TimeSpan.FromSeconds(10));
        await composeEntered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await StopAndWait(story);

        var revived = StartStory("resume-me"); // replays the journal
        var view = await WaitFor(revived, "resume-me", v => v.State is "completed" or "failed");
        composeBlocked.SetResult();

        Assert.Equal("completed", view.State);
        Assert.Equal((1, 1, 2), (_steps["init"].Calls, _steps["speech"].Calls, _steps["compose"].Calls));
        var compose = view.Steps.Single(s => s.Name == "compose");
        Assert.Equal(["interrupted", "completed"], compose.Timeline.Select(t => t.Outcome));
        Assert.All(view.Steps.Where(s => s.Name is "init" or "speech"), s => Assert.Single(s.Timeline));
    }

    [Fact]
    public async Task A_missing_result_found_on_recovery_is_journaled_and_that_step_runs_again()
    {
        var gate = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        _steps["compose"].Before = call =>
        {
            if (call > 1) return Task.CompletedTask;
            entered.TrySetResult();
            return gate.Task;
        };
        var story = StartStory("lost-speech");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("lost-speech")), TimeSpan.FromSeconds(10));
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await StopAndWait(story);
        File.Delete(Path.Combine(Settings.WorkspaceOf("lost-speech", 1), "speech.out"));

        var view = await WaitFor(StartStory("lost-speech"), "lost-speech", v => v.State is "completed" or "failed");
        gate.SetResult();
        Assert.Equal("completed", view.State);
        var lost = Assert.Single((await Catalog.EventsAsync("lost-speech")).OfType<ResultsLost>());
        Assert.Equal("speech", lost.Step);
        Assert.Contains("speech.out is missing", lost.Reason);
        Assert.Equal((1, 2), (_steps["init"].Calls, _steps["speech"].Calls));
    }

    [Fact]
    public async Task Cancelling_a_running_story_persists_cancelled_and_abandons_the_step()
    {
        var entered = new TaskCompletionSource();
        _steps["speech"].Before = async _ =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        };
        var story = StartStory("cancel-me");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("cancel-me")), TimeSpan.FromSeconds(10));
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var result = await story.Ask<StoryCommands.CancelResult>(new StoryCommands.Cancel("cancel-me", "operator"), TimeSpan.FromSeconds(10));
        Assert.True(result.Cancelled);
        var events = await Catalog.EventsAsync("cancel-me");
        Assert.IsType<Cancelled>(events[^1]);
        Assert.DoesNotContain(events, e => e is StepCompleted { Step: "speech" });
    }

    [Fact]
    public async Task Retrying_a_running_story_abandons_the_running_attempt_ignores_its_late_result_and_reuses_earlier_steps()
    {
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        _steps["speech"].Before = async call =>
        {
            if (call > 1) return;
            entered.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30)); // ignores cancellation: its result arrives late
        };
        var story = StartStory("retry-me");
        await story.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(Sample("retry-me")), TimeSpan.FromSeconds(10));
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var result = await story.Ask<StoryCommands.RetryResult>(new StoryCommands.Retry("retry-me", "speech", "operator"), TimeSpan.FromSeconds(10));
        Assert.Equal((true, "speech", "running", (string?)null), (result.Retried, result.FromStep, result.State, result.Error));
        var view = await WaitFor(story, "retry-me", v => v.State == "completed");
        release.SetResult();
        // A pool tells the story before it counts the run as done, so once no speech run is left the late result
        // sits in the story's mailbox ahead of the next question; the answer to that question comes after it.
        await Eventually.Until(async () => (await ActorRegistry.Get<StepPools>().Ask<List<StepPoolProtocol.PoolState>>(
            new StepPoolProtocol.GetPoolState(), TimeSpan.FromSeconds(5))).Single(p => p.Step == "speech").Running == 0, 10, "the late speech run ends");
        view = await story.Ask<StoryView>(new StoryQueries.GetStory("retry-me"), TimeSpan.FromSeconds(5));
        Assert.Equal("completed", view.State);

        Assert.Equal((1, 2, 1, 1), (_steps["init"].Calls, _steps["speech"].Calls, _steps["compose"].Calls, _steps["publish"].Calls));
        var speech = view.Steps.Single(x => x.Name == "speech");
        Assert.Equal(["abandoned", "completed"], speech.Timeline.Select(a => a.Outcome));
        var events = await Catalog.EventsAsync("retry-me");
        Assert.Single(events, e => e is RetryRequested { FromStep: "speech" });
        Assert.DoesNotContain(events, e => e is StepCompleted { Step: "speech", Attempt: 1 });
    }

    void IDisposable.Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
