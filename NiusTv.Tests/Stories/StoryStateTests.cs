using NiusTv.Actors.Stories;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Stories;

/// <summary>The story's decisions without an ActorSystem: what each situation persists.</summary>
public sealed class StoryStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Pipeline = ["init", "speech", "compose", "publish"];
    private static readonly RetryPolicy Retry = new(3, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));

    public static Story Sample(string paragraph = "The council approved the budget.") => new(
        "city-budget", "City approves budget", [paragraph], [], "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);

    private static StoryState Fold(StoryState s, IEnumerable<IStoryEvent> events) => events.Aggregate(s, (acc, e) => acc.Apply(e));

    private static StoryState Accepted() => Fold(StoryState.Empty("city-budget"), StoryState.Empty("city-budget").Accept(Sample(), Pipeline, T0));

    private static ArtifactRecord[] Artifact(string name) => [new(name, name, "ab", 2)];

    [Fact]
    public void Accepting_a_story_creates_revision_one_with_every_step_pending()
    {
        var s = Accepted();
        Assert.Equal(1, s.Revision);
        Assert.Equal(StoryStatus.Accepted, s.Status);
        Assert.Equal(Pipeline, s.Steps.Select(x => x.Name));
        Assert.All(s.Steps, x => Assert.Equal(StepStatus.Pending, x.Status));
        Assert.Equal("City approves budget", s.Story!.Title);
    }

    [Fact]
    public void Replaying_an_accepted_story_that_todays_rules_refuse_gives_back_the_story_as_it_was_accepted()
    {
        // Accepted before the 64-letter word bound existed (or any rule tightened since): the journal is history.
        var old = Sample("The word " + new string('a', 100) + " was fine when this story was published.") with
        {
            Voice = "a-voice-since-removed", Priority = StoryPriority.Breaking, Captions = StoryCaptions.Sidecar,
            Pronunciations = new Dictionary<string, string> { ["Ruiz"] = "R UW IY S" }, Brand = "a-retired-look",
        };
        Assert.False(StoryParser.Parse(old.ToCanonicalJson()).IsValid);

        var s = StoryState.Empty("city-budget").Apply(new Accepted("city-budget", 1, old.ToCanonicalJson(), old.ContentHash(), Pipeline, T0));

        Assert.Equal(old.ToCanonicalJson(), s.Story!.ToCanonicalJson());
        Assert.Equal(old.ContentHash(), s.ContentHash);
        Assert.Equal(StoryStatus.Accepted, s.Status);
    }

    [Fact]
    public void The_same_content_again_is_a_no_op_and_new_content_is_a_new_revision()
    {
        var s = Accepted();
        Assert.Empty(s.Accept(Sample(), Pipeline, T0.AddMinutes(1)));
        var changed = s.Accept(Sample("The council rejected the budget."), Pipeline, T0.AddMinutes(1));
        var accepted = Assert.IsType<Accepted>(Assert.Single(changed));
        Assert.Equal(2, accepted.Revision);
        var s2 = Fold(s, changed);
        Assert.Equal(2, s2.Revision);
        Assert.Contains("rejected", s2.Story!.Paragraphs[0]);
    }

    [Fact]
    public void A_full_run_is_started_and_completed_for_each_step_in_order_then_the_story_completes()
    {
        var s = Accepted();
        var events = new List<IStoryEvent>();
        foreach (var step in Pipeline)
        {
            var start = Assert.IsType<StepStarted>(s.Advance("n1", T0));
            Assert.Equal((step, 1), (start.Step, start.Attempt));
            s = s.Apply(start);
            Assert.Null(s.Advance("n1", T0)); // nothing else starts while a step runs
            var artifacts = step == "publish"
                ? new[] { new ArtifactRecord(NiusTv.Steps.Artifacts.Video.Name, "/out/videos/city-budget.mp4", "", 0), new ArtifactRecord(NiusTv.Steps.Artifacts.Poster.Name, "/out/videos/city-budget.jpg", "", 0) }
                : Artifact(step + ".out");
            var done = s.StepSucceeded(s.Revision, step, 1, "test", artifacts, T0);
            events.Add(start);
            events.AddRange(done);
            s = Fold(s, done);
        }
        var completed = Assert.IsType<Completed>(s.Advance("n1", T0));
        s = s.Apply(completed);
        Assert.Equal(StoryStatus.Completed, s.Status);
        Assert.Equal("/out/videos/city-budget.mp4", s.Video);
        Assert.Equal(8, events.Count);
    }

    [Fact]
    public void A_transient_failure_is_retried_with_exponential_backoff_until_attempts_run_out()
    {
        var s = Accepted();
        s = s.Apply(s.Advance("n1", T0)!);
        var f1 = s.StepFailedWith(s.Revision, "init", 1, "local", "disk busy", true, Retry, T0);
        var failed = Assert.IsType<StepFailed>(Assert.Single(f1));
        Assert.Equal(T0.AddSeconds(2), failed.RetryAt);
        s = Fold(s, f1);
        Assert.Equal(StepStatus.Retrying, s.Step("init")!.Status);
        Assert.Null(s.Advance("n1", T0.AddSeconds(1))); // not yet due
        var retry = Assert.IsType<StepStarted>(s.Advance("n1", T0.AddSeconds(2)));
        Assert.Equal(2, retry.Attempt);
        s = s.Apply(retry);
        var f2 = Assert.IsType<StepFailed>(Assert.Single(s.StepFailedWith(s.Revision, "init", 2, "local", "disk busy", true, Retry, T0.AddSeconds(2))));
        Assert.Equal(T0.AddSeconds(2 + 4), f2.RetryAt);
        s = s.Apply(f2).Apply(s.Apply(f2).Advance("n1", T0.AddSeconds(6))!);
        var last = s.StepFailedWith(s.Revision, "init", 3, "local", "disk busy", true, Retry, T0.AddSeconds(7));
        Assert.Collection(last, e => Assert.IsType<StepFailed>(e), e => Assert.Contains("init failed 3 times; last error: disk busy", ((Failed)e).Reason));
        s = Fold(s, last);
        Assert.Equal(StoryStatus.Failed, s.Status);
        Assert.Equal(3, s.Step("init")!.Attempts);
        Assert.Equal(3, s.Step("init")!.History.Count);
    }

    [Fact]
    public void A_permanent_failure_stops_the_story_at_once_with_the_steps_own_sentence()
    {
        var s = Accepted();
        s = s.Apply(s.Advance("n1", T0)!);
        var events = s.StepFailedWith(s.Revision, "init", 1, "local", "images[0]: 'images/x.jpg' was not found", false, Retry, T0);
        s = Fold(s, events);
        Assert.Equal(StoryStatus.Failed, s.Status);
        Assert.Equal("images[0]: 'images/x.jpg' was not found", s.Error);
        Assert.Null(s.Advance("n1", T0));
    }

    [Fact]
    public void The_old_revisions_reply_for_the_same_step_and_attempt_does_not_count_for_the_new_revision()
    {
        var s = Accepted();
        s = s.Apply(s.Advance("n1", T0)!); // r1 init attempt 1 runs
        s = Fold(s, s.Accept(Sample("New text."), Pipeline, T0));
        s = s.Apply(s.Advance("n1", T0)!); // r2 init attempt 1 runs: same step, same attempt number
        Assert.Equal((2, StepStatus.Running, 1), (s.Revision, s.Step("init")!.Status, s.Step("init")!.Attempts));

        Assert.Empty(s.StepFailedWith(1, "init", 1, "local", "cancelled", false, Retry, T0));
        Assert.Empty(s.StepSucceeded(1, "init", 1, "local", Artifact("images.json"), T0));
        var mine = Assert.Single(s.StepSucceeded(2, "init", 1, "local", Artifact("images.json"), T0));
        Assert.Equal(2, mine.Revision);
    }

    [Fact]
    public void A_result_from_an_older_attempt_or_revision_is_ignored()
    {
        var s = Accepted();
        s = s.Apply(s.Advance("n1", T0)!);
        Assert.Empty(s.StepSucceeded(s.Revision, "init", 2, "x", Artifact("a"), T0));
        Assert.Empty(s.StepSucceeded(s.Revision, "speech", 1, "x", Artifact("a"), T0));
        var s2 = Fold(s, s.Accept(Sample("New text."), Pipeline, T0));
        Assert.Equal(2, s2.Revision);
        Assert.Empty(s2.StepSucceeded(s2.Revision, "init", 1, "x", Artifact("a"), T0)); // revision 2 has not started init
        var stale = new StepCompleted("city-budget", 1, "init", 1, "x", Artifact("a"), T0);
        Assert.Equal(StepStatus.Pending, s2.Apply(stale).Step("init")!.Status);
    }

    [Fact]
    public void After_a_restart_the_interrupted_attempt_is_closed_and_the_step_runs_again()
    {
        var s = Accepted();
        s = s.Apply(s.Advance("n1", T0)!);
        s = Fold(s, s.StepSucceeded(s.Revision, "init", 1, "local", Artifact("images.json"), T0));
        s = s.Apply(s.Advance("n1", T0)!); // speech running when the node dies
        var events = s.Interrupted(Retry, T0.AddSeconds(5));
        var failed = Assert.IsType<StepFailed>(Assert.Single(events));
        Assert.Equal(StoryState.InterruptedReason, failed.Reason);
        s = Fold(s, events);
        var again = Assert.IsType<StepStarted>(s.Advance("n2", T0.AddSeconds(5)));
        Assert.Equal(("speech", 2, "n2"), (again.Step, again.Attempt, again.Node));
        s = s.Apply(again);
        Assert.Equal(1, s.Step("init")!.Attempts);
        Assert.Equal(["interrupted", "running"], s.Step("speech")!.History.Select(h => h.Outcome));
    }

    [Fact]
    public void Lost_results_send_the_story_back_to_that_step_and_keep_the_earlier_ones()
    {
        var s = Accepted();
        foreach (var step in new[] { "init", "speech" })
        {
            s = s.Apply(s.Advance("n1", T0)!);
            s = Fold(s, s.StepSucceeded(s.Revision, step, 1, "b", Artifact(step + ".out"), T0));
        }
        s = s.Apply(new ResultsLost("city-budget", 1, "speech", "speech.out is missing", "n2", T0));
        Assert.Equal(StepStatus.Completed, s.Step("init")!.Status);
        Assert.Equal(StepStatus.Pending, s.Step("speech")!.Status);
        Assert.Equal("lost", s.Step("speech")!.History[^1].Outcome);
        Assert.Equal("speech", Assert.IsType<StepStarted>(s.Advance("n2", T0)).Step);
    }

    [Fact]
    public void Cancelling_stops_an_active_story_and_is_a_no_op_afterwards()
    {
        var s = Accepted();
        s = s.Apply(s.Advance("n1", T0)!);
        var events = s.Cancel("operator", T0);
        s = Fold(s, events);
        Assert.Equal(StoryStatus.Cancelled, s.Status);
        Assert.Equal("abandoned", s.Step("init")!.History[^1].Outcome);
        Assert.Empty(s.Cancel("again", T0));
        Assert.Null(s.Advance("n1", T0));
    }

    private static StoryState CompletedRun()
    {
        var s = Accepted();
        foreach (var step in Pipeline)
        {
            var start = (StepStarted)s.Advance("n1", T0)!;
            s = Fold(s.Apply(start), s.Apply(start).StepSucceeded(start.Revision, step, start.Attempt, "test", Artifact(step + ".out"), T0));
        }
        return s.Apply(s.Advance("n1", T0)!);
    }

    private static readonly WorkspaceRetention Keep = new(TimeSpan.FromHours(6), TimeSpan.FromDays(3), TimeSpan.FromMinutes(10));

    [Fact]
    public void Retention_removes_abandoned_revisions_at_once_and_the_current_one_only_after_its_time()
    {
        var running = Fold(Accepted(), Accepted().Accept(Sample("New text."), Pipeline, T0));
        running = running.Apply(running.Advance("n1", T0)!);
        var plan = Keep.Decide(running, [1, 2], T0.AddDays(30));
        Assert.Equal([1], plan.Remove);
        Assert.False(plan.CurrentRevision); // a running revision is never removed

        var completed = CompletedRun(); // finished at T0
        Assert.Empty(Keep.Decide(completed, [1], T0.AddHours(5.9)).Remove);
        var due = Keep.Decide(completed, [1], T0.AddHours(6));
        Assert.Equal([1], due.Remove);
        Assert.True(due.CurrentRevision);
        Assert.Equal("removed by the retention policy: completed 6 h ago, kept for 6 h", due.Reason);

        var failed = Accepted();
        failed = failed.Apply(failed.Advance("n1", T0)!);
        failed = Fold(failed, failed.StepFailedWith(1, "init", 1, "test", "images[0] missing", false, Retry, T0));
        Assert.Empty(Keep.Decide(failed, [1], T0.AddDays(1)).Remove); // kept longer, for a retry from the failed step
        Assert.Equal([1], Keep.Decide(failed, [1], T0.AddDays(3)).Remove);
        Assert.Empty(Keep.Decide(StoryState.Empty("nobody"), [1, 2], T0.AddDays(30)).Remove);
    }

    [Fact]
    public void Cleaned_results_are_recorded_and_a_retry_of_the_cleaned_story_starts_at_init_with_the_mark_gone()
    {
        var s = CompletedRun();
        s = s.Apply(new ResultsCleaned("city-budget", 1, "removed by the retention policy", "n1", T0.AddHours(6)));
        Assert.Equal(T0.AddHours(6), s.ResultsCleanedAt);
        Assert.Equal(StoryStatus.Completed, s.Status);
        Assert.NotNull(StoryView.From(s).Workspace);

        s = Fold(s, s.Retry(null, "operator", T0.AddHours(7)).Events);
        Assert.Null(s.ResultsCleanedAt);
        Assert.Equal(("init", 2), (((StepStarted)s.Advance("n1", T0.AddHours(7))!).Step, ((StepStarted)s.Advance("n1", T0.AddHours(7))!).Attempt));
    }

    [Fact]
    public void A_retry_of_a_completed_story_resets_that_step_and_later_ones_and_keeps_their_timeline()
    {
        var s = CompletedRun();
        var decision = s.Retry("compose", "operator", T0.AddMinutes(5));
        Assert.Null(decision.Error);
        var retry = Assert.IsType<RetryRequested>(Assert.Single(decision.Events));
        Assert.Equal(("compose", 1), (retry.FromStep, retry.Revision));
        s = Fold(s, decision.Events);

        Assert.Equal(StoryStatus.Running, s.Status);
        Assert.Null(s.Video);
        Assert.Null(s.FinishedAt);
        Assert.Equal([StepStatus.Completed, StepStatus.Completed, StepStatus.Pending, StepStatus.Pending], s.Steps.Select(x => x.Status));
        Assert.Equal("completed", Assert.Single(s.Step("compose")!.History).Outcome);
        Assert.Equal(["init.out", "speech.out"], s.CompletedArtifacts.Keys.Order());
        var next = Assert.IsType<StepStarted>(s.Advance("n1", T0.AddMinutes(5)));
        Assert.Equal(("compose", 2), (next.Step, next.Attempt));
    }

    [Fact]
    public void A_retry_without_a_step_starts_at_the_failed_one_and_an_unknown_step_is_refused_naming_the_steps()
    {
        var s = Accepted();
        var init = (StepStarted)s.Advance("n1", T0)!;
        s = s.Apply(init);
        s = Fold(s, s.StepFailedWith(s.Revision, "init", 1, "test", "images[0] missing", false, Retry, T0));
        Assert.Equal(StoryStatus.Failed, s.Status);

        Assert.Equal("init", s.Retry(null, "operator", T0).FromStep);
        var refused = s.Retry("render", "operator", T0);
        Assert.Empty(refused.Events);
        Assert.Equal("story city-budget revision 1 has no step 'render'; its steps are: init, speech, compose, publish", refused.Error);
        Assert.NotNull(StoryState.Empty("nobody").Retry(null, "operator", T0).Error);

        s = Fold(s, s.Retry(null, "operator", T0).Events);
        Assert.Equal((StoryStatus.Running, (string?)null), (s.Status, s.Error));
        Assert.Equal(("init", 2), (((StepStarted)s.Advance("n1", T0)!).Step, ((StepStarted)s.Advance("n1", T0)!).Attempt));
    }

    [Fact]
    public void A_retry_of_a_running_story_abandons_the_running_attempt_and_ignores_its_late_result()
    {
        var s = Accepted();
        var init = (StepStarted)s.Advance("n1", T0)!;
        s = s.Apply(init);
        s = Fold(s, s.Retry("init", "operator", T0).Events);
        Assert.Equal("abandoned", s.Step("init")!.History[^1].Outcome);
        Assert.Empty(s.StepSucceeded(s.Revision, "init", 1, "test", Artifact("late"), T0));
    }

    [Theory]
    [InlineData(1, 2.0)]
    [InlineData(2, 4.0)]
    [InlineData(3, 8.0)]
    public void Backoff_doubles_and_is_capped(int failedAttempt, double seconds)
    {
        var policy = new RetryPolicy(10, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(7));
        Assert.Equal(Math.Min(seconds, 7), policy.DelayAfter(failedAttempt)!.Value.TotalSeconds);
        Assert.Null(new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)).DelayAfter(3));
    }
}
