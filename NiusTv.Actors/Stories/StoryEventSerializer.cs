using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using static NiusTv.Actors.Stories.StoryEvents;

namespace NiusTv.Actors.Stories;

/// <summary>The project's own serializer for journaled story events. Each event is written as UTF-8 JSON under a
/// string manifest that names its type and schema version (<c>story.accepted.v1</c>). The manifest, not the CLR
/// type name, is the contract: types can be renamed or moved freely, and a future v2 of an event reads its v1
/// records through an explicit upgrade here instead of breaking replay.</summary>
public sealed class StoryEventSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 7101;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly (Type Type, string Manifest)[] Table =
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
    ];

    private static readonly Dictionary<Type, string> ManifestByType = Table.ToDictionary(t => t.Type, t => t.Manifest);
    private static readonly Dictionary<string, Type> TypeByManifest = Table.ToDictionary(t => t.Manifest, t => t.Type);

    public StoryEventSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => ManifestByType.TryGetValue(o.GetType(), out var m)
        ? m : throw new ArgumentException($"{o.GetType()} is not a story event this serializer knows", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypeByManifest.TryGetValue(manifest, out var type))
            throw new SerializationException($"unknown story event manifest '{manifest}': the journal was written by a newer NiusTv");
        return JsonSerializer.Deserialize(bytes, type, Json)
            ?? throw new SerializationException($"empty payload for '{manifest}': {Encoding.UTF8.GetString(bytes)}");
    }

    public static IEnumerable<string> Manifests => Table.Select(t => t.Manifest);
}
