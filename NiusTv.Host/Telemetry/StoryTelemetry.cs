using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Hosting;
using NiusTv.Actors.Stories;
using Prometheus;

namespace NiusTv.Host.Telemetry;

/// <summary>Turns persisted story events into metrics and trace spans. It reads only what the journal says
/// happened (each attempt's start and end come from the events), so a span or a histogram sample is never
/// invented, and an attempt is counted on the node that closed it.</summary>
public static class StoryTelemetry
{
    public const string SourceName = "NiusTv.Stories";

    public static readonly ActivitySource Source = new(SourceName);

    public static readonly Histogram StepDuration = Metrics.CreateHistogram("niustv_step_duration_seconds",
        "Duration of each ended step attempt, by step, backend and outcome (completed, failed, interrupted, abandoned).",
        new HistogramConfiguration
        {
            LabelNames = ["step", "backend", "outcome"],
            Buckets = Histogram.ExponentialBuckets(0.05, 2, 14), // 50 ms … ~7 min
        });

    public static readonly Counter Retries = Metrics.CreateCounter("niustv_story_retries_total",
        "Steps run again: kind=automatic (a transient failure with attempts left) or operator (nius story retry).",
        new CounterConfiguration { LabelNames = ["step", "kind"] });

    public static readonly Gauge StoriesByState = Metrics.CreateGauge("niustv_stories",
        "Stories by state, read from the shared journal (cluster-wide: every node reports the same numbers).",
        new GaugeConfiguration { LabelNames = ["state"] });

    private static readonly string[] States = ["accepted", "running", "completed", "failed", "cancelled"];

    public static void Observe(StoryEventPersisted n)
    {
        switch (n.Event)
        {
            case StoryEvents.StepFailed { RetryAt: not null } f:
                Retries.WithLabels(f.Step, "automatic").Inc();
                break;
            case StoryEvents.RetryRequested r:
                Retries.WithLabels(r.FromStep, "operator").Inc();
                break;
        }
        foreach (var step in n.After.Steps)
        {
            var before = n.Before.Revision == n.After.Revision ? n.Before.Step(step.Name) : null;
            foreach (var attempt in step.History)
            {
                if (attempt.EndedAt is not { } ended) continue;
                var earlier = before?.History.FirstOrDefault(a => a.Attempt == attempt.Attempt && a.StartedAt == attempt.StartedAt);
                if (earlier?.EndedAt is not null) continue; // closed by an earlier event: already observed
                var backend = step.Backend ?? "";
                StepDuration.WithLabels(step.Name, backend, attempt.Outcome).Observe(Math.Max(0, (ended - attempt.StartedAt).TotalSeconds));
                EmitSpan(n.After, step.Name, backend, attempt, n.Node);
            }
        }
    }

    /// <summary>One span per step attempt, in the trace of its story revision. The trace id and its parent span id
    /// are derived from story id and revision, so attempts closed on different nodes, or before and after a
    /// restart, land in one trace without any node having to remember a span.</summary>
    private static void EmitSpan(StoryState story, string step, string backend, StepAttempt attempt, string closingNode)
    {
        if (!Source.HasListeners()) return;
        var parent = RevisionContext(story.Id, story.Revision);
        using var activity = Source.StartActivity($"step {step}", ActivityKind.Internal, parent, [
            new("niustv.story.id", story.Id),
            new("niustv.story.revision", story.Revision),
            new("niustv.step", step),
            new("niustv.node", attempt.Node),
            new("niustv.backend", backend),
            new("niustv.attempt", attempt.Attempt),
            new("niustv.outcome", attempt.Outcome),
            new("niustv.observed_by", closingNode),
        ], startTime: attempt.StartedAt);
        if (activity is null) return;
        if (attempt.Outcome != "completed") activity.SetStatus(ActivityStatusCode.Error, attempt.Error);
        activity.SetEndTime(attempt.EndedAt!.Value.UtcDateTime);
    }

    public static ActivityContext RevisionContext(string storyId, int revision)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{storyId}/r{revision}"));
        return new ActivityContext(ActivityTraceId.CreateFromBytes(hash.AsSpan(0, 16)), ActivitySpanId.CreateFromBytes(hash.AsSpan(16, 8)),
            ActivityTraceFlags.Recorded, isRemote: true);
    }

    /// <summary>Stories by state is refreshed from the catalog before a scrape, at most every 10 s. The catalog reads
    /// only what the journal gained since its last read, so a scrape costs what changed, not the whole journal.</summary>
    public static void ExportStoryStates(StoryCatalog catalog)
    {
        var gate = new SemaphoreSlim(1, 1);
        var last = DateTimeOffset.MinValue;
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            await gate.WaitAsync(ct);
            try
            {
                if (DateTimeOffset.UtcNow - last < TimeSpan.FromSeconds(10)) return;
                var stories = await catalog.ListAsync(ct);
                var counts = stories.GroupBy(s => StoryView.StateName(s.Status)).ToDictionary(g => g.Key, g => g.Count());
                foreach (var state in States) StoriesByState.WithLabels(state).Set(counts.GetValueOrDefault(state));
                last = DateTimeOffset.UtcNow;
            }
            finally { gate.Release(); }
        });
    }
}

/// <summary>Subscribes <see cref="StoryTelemetry"/> to this node's story events.</summary>
public sealed class StoryTelemetryActor : ReceiveActor
{
    public StoryTelemetryActor()
    {
        Receive<StoryEventPersisted>(StoryTelemetry.Observe);
        Receive<NiusTv.Actors.Admission.GpuAdmissionProtocol.GrantNotice>(ComponentMetrics.Observe);
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(StoryEventPersisted));
        Context.System.EventStream.Subscribe(Self, typeof(NiusTv.Actors.Admission.GpuAdmissionProtocol.GrantNotice));
    }
}

public static class StoryTelemetryHosting
{
    public static AkkaConfigurationBuilder AddStoryTelemetry(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, _) => system.ActorOf(Props.Create(() => new StoryTelemetryActor()), "story-telemetry"));
}
