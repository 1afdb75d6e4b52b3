using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using NiusTv.Actors.Serialization;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Actors.Stories;

/// <summary>The project's own serializer for journaled story events, story snapshots (and the journal probe), under versioned manifests
/// (<c>story.accepted.v1</c>). These manifests are in every journal ever written: never rename one. A v2 of an event
/// gets a new manifest here, and its v1 moves to the upgrades, read into the v2 type.</summary>
public sealed class StoryEventSerializer(ExtendedActorSystem system) : ManifestTableSerializer(system, SerializerId, "story event",
    "the journal was written by a newer NiusTv", Table, new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        // Enums by name, so reordering one never changes a stored snapshot's meaning. (No event has an enum member:
        // their bytes are as before.)
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    })
{
    public const int SerializerId = 7101;

    public static readonly (Type Type, string Manifest)[] Table =
    [
        (typeof(Accepted), "story.accepted.v1"),
        (typeof(StepStarted), "story.step-started.v1"),
        (typeof(StepCompleted), "story.step-completed.v1"),
        (typeof(StepFailed), "story.step-failed.v1"),
        (typeof(ResultsLost), "story.results-lost.v1"),
        (typeof(Completed), "story.completed.v1"),
        (typeof(Failed), "story.failed.v1"),
        (typeof(Cancelled), "story.cancelled.v1"),
        (typeof(RetryRequested), "story.retry-requested.v1"),
        (typeof(ResultsCleaned), "story.results-cleaned.v1"),
        (typeof(JournalProbeWritten), "journal.probe-written.v1"),
        (typeof(StorySnapshot), "story.snapshot.v1"),
    ];
}
