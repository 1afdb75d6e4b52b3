using System.Collections.Immutable;
using NiusTv.Steps;
using NiusTv.Steps.Stories;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Actors.Stories;

public enum StoryStatus { None, Accepted, Running, Completed, Failed, Cancelled }

public enum StepStatus { Pending, Running, Retrying, Completed, Failed }

/// <summary>One attempt of a step as the timeline shows it.</summary>
/// <param name="Outcome">running, completed, failed, interrupted (the node stopped while it ran), lost (its results
/// disappeared later), abandoned (cancelled or superseded).</param>
public sealed record StepAttempt(int Attempt, string Node, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string Outcome, string? Error);

public sealed record StepRecord(
    string Name,
    StepStatus Status,
    int Attempts,
    string? Node,
    string? Backend,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    ImmutableList<ArtifactRecord> Artifacts,
    string? LastError,
    DateTimeOffset? RetryAt,
    ImmutableList<StepAttempt> History)
{
    public static StepRecord Pending(string name) =>
        new(name, StepStatus.Pending, 0, null, null, null, null, [], null, null, []);

    private StepRecord CloseLastAttempt(string outcome, string? error, DateTimeOffset at) =>
        History.IsEmpty || History[^1].EndedAt is not null ? this
        : this with { History = History.SetItem(History.Count - 1, History[^1] with { EndedAt = at, Outcome = outcome, Error = error }) };

    internal StepRecord Start(int attempt, string node, DateTimeOffset at) => this with
    {
        Status = StepStatus.Running, Attempts = attempt, Node = node, StartedAt = at, CompletedAt = null, RetryAt = null,
        History = History.Add(new StepAttempt(attempt, node, at, null, "running", null)),
    };

    internal StepRecord Complete(string backend, IReadOnlyList<ArtifactRecord> artifacts, DateTimeOffset at) =>
        CloseLastAttempt("completed", null, at) with
        {
            Status = StepStatus.Completed, Backend = backend, CompletedAt = at, Artifacts = [.. artifacts], LastError = null,
        };

    internal StepRecord Fail(string backend, string reason, bool interrupted, DateTimeOffset? retryAt, DateTimeOffset at) =>
        CloseLastAttempt(interrupted ? "interrupted" : "failed", reason, at) with
        {
            Status = retryAt is null ? StepStatus.Failed : StepStatus.Retrying, Backend = backend, LastError = reason, RetryAt = retryAt,
        };

    /// <summary>Back to pending. A running attempt ends with <paramref name="outcome"/>; a completed one whose results
    /// were lost later is relabelled, so the timeline says why the step ran again.</summary>
    internal StepRecord Reset(string outcome, string reason, DateTimeOffset at)
    {
        var closed = History.Count > 0 && History[^1].EndedAt is not null && outcome == "lost"
            ? this with { History = History.SetItem(History.Count - 1, History[^1] with { Outcome = outcome, Error = reason }) }
            : CloseLastAttempt(outcome, reason, at);
        return closed with { Status = StepStatus.Pending, Artifacts = [], CompletedAt = null, RetryAt = null };
    }
}

/// <param name="FromStep">The step the story runs again from; null when refused.</param>
public sealed record RetryDecision(string? FromStep, string? Error, IReadOnlyList<IStoryEvent> Events)
{
    public static RetryDecision Refused(string error) => new(null, error, []);
}

/// <summary>The durable state of one story. Immutable; every change goes through <see cref="Apply"/>, and every
/// decision is a pure function from state (plus time and node) to events, so the logic is tested without an
/// ActorSystem and replay can never disagree with the live run.</summary>
public sealed record StoryState(
    string Id,
    int Revision,
    Story? Story,
    string? ContentHash,
    StoryStatus Status,
    ImmutableList<StepRecord> Steps,
    string? Error,
    string? Video,
    string? Poster,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? ResultsCleanedAt = null)
{
    public static StoryState Empty(string id) => new(id, 0, null, null, StoryStatus.None, [], null, null, null, null, null);

    public bool IsKnown => Revision > 0;
    public bool IsActive => Status is StoryStatus.Accepted or StoryStatus.Running;

    public StepRecord? Step(string name) => Steps.FirstOrDefault(s => s.Name == name);

    /// <summary>The first step of the pipeline that has no result yet.</summary>
    public StepRecord? NextStep => Steps.FirstOrDefault(s => s.Status != StepStatus.Completed);

    /// <summary>Every artifact of the completed steps, name → path, as the next step sees them.</summary>
    public IReadOnlyDictionary<string, string> CompletedArtifacts =>
        Steps.Where(s => s.Status == StepStatus.Completed).SelectMany(s => s.Artifacts)
            .GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.Last().Path);

    public StoryState Apply(IStoryEvent e) => e switch
    {
        Accepted a => this with
        {
            Revision = a.Revision, Story = NiusTv.Steps.Stories.Story.FromCanonicalJson(a.StoryJson), ContentHash = a.ContentHash,
            Status = StoryStatus.Accepted, Steps = [.. a.Pipeline.Select(StepRecord.Pending)],
            Error = null, Video = null, Poster = null, AcceptedAt = a.At, FinishedAt = null, ResultsCleanedAt = null,
        },
        _ when e.Revision != Revision => this, // a late event of a superseded revision changes nothing
        StepStarted s => WithStep(s.Step, r => r.Start(s.Attempt, s.Node, s.At)) with { Status = StoryStatus.Running },
        StepCompleted c => WithStep(c.Step, r => r.Complete(c.Backend, CurrentKeys(c.Artifacts), c.At)),
        StepFailed f => WithStep(f.Step, r => r.Fail(f.Backend, f.Reason, IsInterruption(f), f.RetryAt, f.At)),
        ResultsLost l => ResetFrom(l.Step, "lost", l.Reason, l.At),
        Completed c => this with { Status = StoryStatus.Completed, Video = c.Video, Poster = c.Poster, FinishedAt = c.At },
        Failed f => this with { Status = StoryStatus.Failed, Error = f.Reason, FinishedAt = f.At },
        RetryRequested r => ResetFrom(r.FromStep, "abandoned", r.Reason, r.At) with
        {
            Status = StoryStatus.Running, Error = null, Video = null, Poster = null, FinishedAt = null, ResultsCleanedAt = null,
        },
        ResultsCleaned c => this with { ResultsCleanedAt = c.At },
        Cancelled c => AbandonRunning(c.Reason, c.At) with { Status = StoryStatus.Cancelled, Error = null, FinishedAt = c.At },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown story event"),
    };

    // ---- decisions (pure) ------------------------------------------------------------------------------------

    /// <summary>Accepting a story: the same content again is a no-op (a redelivered message); new content is a
    /// new revision that abandons the old one's work.</summary>
    public IReadOnlyList<IStoryEvent> Accept(Story story, IReadOnlyList<string> pipeline, DateTimeOffset now)
    {
        var hash = story.ContentHash();
        if (IsKnown && hash == ContentHash) return [];
        return [new Accepted(Id, Revision + 1, story.ToCanonicalJson(), hash, pipeline, now)];
    }

    /// <summary>What to do when nothing is running: start the next step, or finish the story.</summary>
    public IStoryEvent? Advance(string node, DateTimeOffset now)
    {
        if (!IsActive) return null;
        var next = NextStep;
        if (next is null) return new Completed(Id, Revision, Published(Main(Artifacts.Video)), Published(Main(Artifacts.Poster)), now);
        return next.Status switch
        {
            StepStatus.Pending => new StepStarted(Id, Revision, next.Name, next.Attempts + 1, node, now),
            StepStatus.Retrying when next.RetryAt <= now => new StepStarted(Id, Revision, next.Name, next.Attempts + 1, node, now),
            _ => null,
        };
    }

    /// <summary>A step's result counts only for the attempt it answers: the same step and attempt number of an
    /// earlier revision (a quick republish restarts the numbering) or a late reply of a retried attempt is ignored.</summary>
    public IReadOnlyList<IStoryEvent> StepSucceeded(int revision, string step, int attempt, string backend, IReadOnlyList<ArtifactRecord> artifacts, DateTimeOffset now) =>
        IsCurrentAttempt(revision, step, attempt) ? [new StepCompleted(Id, Revision, step, attempt, backend, artifacts, now)] : [];

    /// <summary>A transient failure is retried with backoff while attempts remain; a permanent one, or the last
    /// attempt, fails the story with the step's own sentence.</summary>
    public IReadOnlyList<IStoryEvent> StepFailedWith(int revision, string step, int attempt, string backend, string reason, bool transient,
        RetryPolicy policy, DateTimeOffset now)
    {
        if (!IsCurrentAttempt(revision, step, attempt)) return [];
        var delay = transient ? policy.DelayAfter(attempt) : null;
        var failed = new StepFailed(Id, Revision, step, attempt, backend, reason, transient, now + delay, now);
        if (delay is not null) return [failed];
        var why = transient ? $"{step} failed {attempt} times; last error: {reason}" : reason;
        return [failed, new Failed(Id, Revision, step, why, now)];
    }

    /// <summary>After a restart, a step that was running when the node stopped gets a new attempt (counted, so a
    /// step that kills the node every time still ends).</summary>
    public IReadOnlyList<IStoryEvent> Interrupted(RetryPolicy policy, DateTimeOffset now)
    {
        var running = Steps.FirstOrDefault(s => s.Status == StepStatus.Running);
        if (!IsActive || running is null) return [];
        return StepFailedWith(Revision, running.Name, running.Attempts, running.Backend ?? "", InterruptedReason, true,
            policy with { BaseDelay = TimeSpan.Zero }, now);
    }

    public IReadOnlyList<IStoryEvent> Cancel(string reason, DateTimeOffset now) =>
        IsActive ? [new Cancelled(Id, Revision, reason, now)] : [];

    /// <summary>Running <paramref name="from"/> and the steps after it again. Without a step, the failed one, else
    /// the first without a result (a cancelled story), else the first. An unknown step is refused with the list of
    /// steps this revision runs; a story never accepted cannot be retried. A step of one rendition
    /// (<c>compose:portrait</c>) runs again with the later steps of that rendition and of the whole story, never another
    /// rendition's; a per-rendition step named plainly (<c>compose</c>) runs again for every rendition.</summary>
    public RetryDecision Retry(string? from, string reason, DateTimeOffset now)
    {
        if (!IsKnown) return RetryDecision.Refused($"no story '{Id}'");
        var step = from ?? Steps.FirstOrDefault(s => s.Status == StepStatus.Failed)?.Name ?? NextStep?.Name ?? Steps[0].Name;
        if (Step(step) is null && FirstRunOf(step) is null)
            return RetryDecision.Refused($"story {Id} revision {Revision} has no step '{step}'; its steps are: {string.Join(", ", Steps.Select(s => s.Name))}");
        return new RetryDecision(step, null, [new RetryRequested(Id, Revision, step, reason, now)]);
    }

    public const string InterruptedReason = "interrupted: the node stopped while this step ran";

    /// <summary>Where the last step that published <paramref name="artifact"/> outside the workspace put it; "" when none did.</summary>
    private string Published(ArtifactKey artifact) =>
        Steps.Where(s => s.Status == StepStatus.Completed).SelectMany(s => s.Artifacts)
            .LastOrDefault(a => a.Name == artifact.Name && !a.IsInWorkspace)?.Path ?? "";

    /// <summary>Artifacts as today's keys name them, also when an older journal recorded them under their old names
    /// (<see cref="Artifacts.Current"/>).</summary>
    internal static IReadOnlyList<ArtifactRecord> CurrentKeys(IReadOnlyList<ArtifactRecord> artifacts) =>
        artifacts.Any(a => Artifacts.Current(a.Name) != a.Name) ? artifacts.Select(a => a with { Name = Artifacts.Current(a.Name) }).ToList() : artifacts;

    private static bool IsInterruption(StepFailed f) => f.Reason == InterruptedReason;

    private bool IsCurrentAttempt(int revision, string step, int attempt) =>
        IsActive && revision == Revision && Step(step) is { Status: StepStatus.Running } r && r.Attempts == attempt;

    private StoryState WithStep(string name, Func<StepRecord, StepRecord> change) =>
        this with { Steps = Steps.Select(s => s.Name == name ? change(s) : s).ToImmutableList() };

    /// <summary>Resets <paramref name="step"/> and what depends on it: every later step, except the steps of other
    /// renditions while only one rendition's step is reset (they read nothing it writes). Once a step of the whole story
    /// is reset (publish), everything after it is too. A per-rendition step named plainly (<c>render</c>, from an
    /// operator's retry) resets from its first rendition's run, and every later step.</summary>
    private StoryState ResetFrom(string step, string outcome, string reason, DateTimeOffset at)
    {
        var index = Steps.FindIndex(s => s.Name == step);
        var rendition = StoryStepName.Rendition(step);
        if (index < 0)
        {
            index = FirstRunOf(step) is { } first ? Steps.IndexOf(first) : -1;
            rendition = null;
        }
        if (index < 0) return this;
        var all = rendition is null;
        var steps = Steps.ToBuilder();
        for (var i = index; i < steps.Count; i++)
        {
            var own = StoryStepName.Rendition(steps[i].Name);
            if (!all && own is not null && own != rendition) continue; // another rendition's result stands
            if (own is null) all = true;
            if (steps[i].Status != StepStatus.Pending) steps[i] = steps[i].Reset(outcome, reason, at);
        }
        return this with { Steps = steps.ToImmutable(), Status = StoryStatus.Running };
    }

    /// <summary>The first run of a per-rendition step named plainly (<c>compose</c> → <c>compose:landscape</c>).</summary>
    private StepRecord? FirstRunOf(string step) =>
        StoryStepName.Rendition(step) is null ? Steps.FirstOrDefault(s => StoryStepName.Rendition(s.Name) is not null && StoryStepName.Step(s.Name) == step) : null;

    /// <summary><paramref name="artifact"/> of the story's main output: the only one, or the first rendition's.</summary>
    private ArtifactKey Main(ArtifactKey artifact) =>
        Artifacts.OfRendition(artifact, Story is { HasRenditions: true } story ? story.Outputs[0].Name : null);

    /// <summary>Where publish put <paramref name="artifact"/> of rendition <paramref name="rendition"/>; null while unpublished.</summary>
    public string? PublishedOf(string rendition, ArtifactKey artifact) =>
        Published(Artifacts.OfRendition(artifact, rendition)) is { Length: > 0 } p ? p : null;

    private StoryState AbandonRunning(string reason, DateTimeOffset at) => this with
    {
        Steps = Steps.Select(s => s.Status is StepStatus.Running or StepStatus.Retrying ? s.Reset("abandoned", reason, at) with { Status = StepStatus.Pending } : s).ToImmutableList(),
    };
}

/// <summary>A <see cref="StoryState"/> as the snapshot store keeps it (manifest <c>story.snapshot.v1</c>). The story
/// itself is its canonical JSON, read back as data like a journaled <see cref="Accepted"/>, never through today's
/// validator; the rest is the state's own fields, enums by name.</summary>
public sealed record StorySnapshot(
    string Id,
    int Revision,
    string? StoryJson,
    string? ContentHash,
    StoryStatus Status,
    IReadOnlyList<StepRecord> Steps,
    string? Error,
    string? Video,
    string? Poster,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? ResultsCleanedAt)
{
    public static StorySnapshot Of(StoryState s) => new(s.Id, s.Revision, s.Story?.ToCanonicalJson(), s.ContentHash, s.Status,
        s.Steps, s.Error, s.Video, s.Poster, s.AcceptedAt, s.FinishedAt, s.ResultsCleanedAt);

    public StoryState ToState() => new(Id, Revision, StoryJson is null ? null : NiusTv.Steps.Stories.Story.FromCanonicalJson(StoryJson),
        ContentHash, Status, [.. Steps.Select(s => s with { Artifacts = [.. StoryState.CurrentKeys(s.Artifacts)] })], Error, Video, Poster, AcceptedAt,
        FinishedAt, ResultsCleanedAt);
}
