using Akka.Actor;
using Akka.Configuration;
using NiusTv.Actors.Stories;
using Xunit;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Tests.Stories;

public sealed class StoryEventSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serializer-tests", ConfigurationFactory.ParseString("""
        akka.actor.serializers.nius-story = "NiusTv.Actors.Stories.StoryEventSerializer, NiusTv.Actors"
        akka.actor.serialization-bindings {
          "NiusTv.Actors.Stories.IStoryEvent, NiusTv.Actors" = nius-story
          "NiusTv.Actors.Stories.StorySnapshot, NiusTv.Actors" = nius-story
        }
        """));

    private static readonly DateTimeOffset At = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(1));

    public static TheoryData<IStoryEvent> Events() =>
    [
        new Accepted("a", 1, "{\"id\":\"a\"}", "abc", ["init", "speech"], At),
        new StepStarted("a", 1, "init", 1, "127.0.0.1:4053", At),
        new StepCompleted("a", 1, "init", 1, "local", [new ArtifactRecord("images.json", "images.json", "ff", 12)], At),
        new StepFailed("a", 1, "speech", 2, "festival", "crashed", true, At.AddSeconds(4), At),
        new ResultsLost("a", 1, "init", "workspace missing", "n2", At),
        new Completed("a", 1, "/out/videos/a.mp4", "/out/videos/a.jpg", At),
        new Failed("a", 1, "init", "images[0] missing", At),
        new Cancelled("a", 1, "operator", At),
        new RetryRequested("a", 1, "compose", "retried by an operator", At),
    ];

    [Theory]
    [MemberData(nameof(Events))]
    public void Every_event_round_trips_through_the_owned_serializer_under_a_versioned_manifest(IStoryEvent e)
    {
        var serializer = _system.Serialization.FindSerializerFor(e);
        var owned = Assert.IsType<StoryEventSerializer>(serializer);
        var manifest = owned.Manifest(e);
        Assert.Matches(@"^story\.[a-z-]+\.v\d+$", manifest);
        var back = owned.FromBinary(owned.ToBinary(e), manifest);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(e, e.GetType()), System.Text.Json.JsonSerializer.Serialize(back, back.GetType()));
    }

    [Fact]
    public void A_story_snapshot_round_trips_under_its_versioned_manifest_with_enums_written_by_name()
    {
        var empty = StoryState.Empty("city-budget");
        var state = empty.Accept(StoryStateTests.Sample(), ["init", "speech"], At).Aggregate(empty, (s, e) => s.Apply(e))
            .Apply(new StepStarted("city-budget", 1, "init", 1, "n1", At))
            .Apply(new StepCompleted("city-budget", 1, "init", 1, "local", [new ArtifactRecord("images.json", "images.json", "ff", 12)], At.AddSeconds(1)))
            .Apply(new StepStarted("city-budget", 1, "speech", 1, "n1", At.AddSeconds(2)));
        var snapshot = StorySnapshot.Of(state);
        var owned = Assert.IsType<StoryEventSerializer>(_system.Serialization.FindSerializerFor(snapshot));
        var bytes = owned.ToBinary(snapshot);

        Assert.Equal("story.snapshot.v1", owned.Manifest(snapshot));
        Assert.Contains("\"status\":\"running\"", System.Text.Encoding.UTF8.GetString(bytes));
        var back = Assert.IsType<StorySnapshot>(owned.FromBinary(bytes, "story.snapshot.v1")).ToState();
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(StoryView.From(state)), System.Text.Json.JsonSerializer.Serialize(StoryView.From(back)));
        Assert.Equal(state.Story!.ToCanonicalJson(), back.Story!.ToCanonicalJson());
    }

    /// <summary>How a future v2 of an event keeps its v1 records readable: v1 leaves the table for an upgrade hook.</summary>
    private sealed class WithRetiredCancelled(ExtendedActorSystem system) : NiusTv.Actors.Serialization.ManifestTableSerializer(system, 9999,
        "test event", "unknown here", [(typeof(Cancelled), "story.cancelled.v2")], new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web),
        new Dictionary<string, Upgrade>
        {
            ["story.cancelled.v1"] = (bytes, json) =>
            {
                var old = System.Text.Json.JsonDocument.Parse(bytes).RootElement;
                return new Cancelled(old.GetProperty("storyId").GetString()!, old.GetProperty("revision").GetInt32(),
                    "before v2: " + old.GetProperty("reason").GetString(), old.GetProperty("at").GetDateTimeOffset());
            },
        });

    [Fact]
    public void A_retired_manifest_is_read_through_its_upgrade_into_todays_type()
    {
        var owned = (StoryEventSerializer)_system.Serialization.FindSerializerForType(typeof(Cancelled));
        var v1 = owned.ToBinary(new Cancelled("a", 1, "operator", At));
        var upgraded = new WithRetiredCancelled((ExtendedActorSystem)_system);

        Assert.Equal(new Cancelled("a", 1, "before v2: operator", At), upgraded.FromBinary(v1, "story.cancelled.v1"));
        Assert.Equal("story.cancelled.v2", upgraded.Manifest(new Cancelled("a", 1, "operator", At)));
        Assert.Equal(["story.cancelled.v2", "story.cancelled.v1"], upgraded.Manifests);
    }

    [Fact]
    public void An_unknown_manifest_is_a_clear_error()
    {
        var owned = (StoryEventSerializer)_system.Serialization.FindSerializerForType(typeof(Completed));
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => owned.FromBinary("{}"u8.ToArray(), "story.renamed.v9"));
        Assert.Contains("story.renamed.v9", e.Message);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
