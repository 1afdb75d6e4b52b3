using System.Diagnostics;
using NiusTv.Actors.Stories;
using NiusTv.Host.Telemetry;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Telemetry;

/// <summary>What a trace backend would receive for a story: one span per step attempt, in one trace per revision.</summary>
public sealed class StoryTelemetryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_ended_step_attempt_becomes_a_span_with_node_backend_attempt_and_outcome_in_the_revisions_trace()
    {
        var id = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == StoryTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.GetTagItem("niustv.story.id") as string == id) lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);

        var story = new Story(id, "Telemetry", ["One paragraph."], [], "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);
        var state = StoryState.Empty(id);
        var policy = new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        void Persist(IEnumerable<IStoryEvent> events)
        {
            foreach (var e in events)
            {
                var before = state;
                state = state.Apply(e);
                StoryTelemetry.Observe(new StoryEventPersisted(e, before, state, "10.0.0.7:4053"));
            }
        }
        Persist(state.Accept(story, ["init", "speech"], T0));
        Persist([new StepStarted(id, 1, "init", 1, "10.0.0.7:4053", T0)]);
        Persist(state.StepFailedWith(state.Revision, "init", 1, "skia", "disk full", true, policy, T0.AddSeconds(2)));
        Persist([new StepStarted(id, 1, "init", 2, "10.0.0.7:4053", T0.AddSeconds(3))]);
        Persist(state.StepSucceeded(state.Revision, "init", 2, "skia", [], T0.AddSeconds(5)));
        Persist([new StepStarted(id, 1, "speech", 1, "10.0.0.8:4053", T0.AddSeconds(5))]);
        Persist(state.Retry("speech", "operator", T0.AddSeconds(6)).Events);

        Assert.Equal(3, spans.Count);
        var trace = StoryTelemetry.RevisionContext(id, 1);
        Assert.All(spans, s => Assert.Equal((trace.TraceId, trace.SpanId), (s.TraceId, s.ParentSpanId)));
        var byAttempt = spans.Select(s => (Step: s.GetTagItem("niustv.step"), Attempt: s.GetTagItem("niustv.attempt"), Outcome: s.GetTagItem("niustv.outcome"),
            Node: s.GetTagItem("niustv.node"), Backend: s.GetTagItem("niustv.backend"), s.Duration)).ToList();
        Assert.Equal(("init", 1, "failed", "10.0.0.7:4053", "skia", TimeSpan.FromSeconds(2)), ((string, int, string, string, string, TimeSpan))byAttempt[0]!);
        Assert.Equal(("init", 2, "completed", "10.0.0.7:4053", "skia", TimeSpan.FromSeconds(2)), ((string, int, string, string, string, TimeSpan))byAttempt[1]!);
        Assert.Equal(("speech", 1, "abandoned", "10.0.0.8:4053", TimeSpan.FromSeconds(1)),
            ((string)byAttempt[2].Step!, (int)byAttempt[2].Attempt!, (string)byAttempt[2].Outcome!, (string)byAttempt[2].Node!, byAttempt[2].Duration));
        Assert.Equal(ActivityStatusCode.Error, spans[0].Status);
        Assert.Equal(ActivityStatusCode.Unset, spans[1].Status);
        Assert.Equal(T0.UtcDateTime, spans[0].StartTimeUtc);
    }
}
