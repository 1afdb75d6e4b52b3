using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace NiusTv.Actors.Stories;

/// <summary>Serializes the story protocol as it crosses nodes (a command sent through another node's region, its
/// reply coming back). The default JSON serializer writes CLR type names of collections, which breaks on the
/// compiler's own collection types and ties the wire to our class layout; here the manifest is the contract, as for
/// <see cref="StoryEventSerializer"/>. Not journaled, so no versioned upgrades are kept: nodes of one cluster run one
/// release.</summary>
public sealed class StoryMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7102;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static readonly (Type Type, string Manifest)[] Table =
    [
        (typeof(StoryCommands.Publish), "story.publish"),
        (typeof(StoryCommands.PublishResult), "story.publish-result"),
        (typeof(StoryCommands.Cancel), "story.cancel"),
        (typeof(StoryCommands.CancelResult), "story.cancel-result"),
        (typeof(StoryCommands.Retry), "story.retry"),
        (typeof(StoryCommands.RetryResult), "story.retry-result"),
        (typeof(StoryCommands.Wake), "story.wake"),
        (typeof(StoryCommands.CleanWorkspace), "story.clean-workspace"),
        (typeof(StoryCommands.WorkspaceLivesElsewhere), "story.workspace-elsewhere"),
        (typeof(StoryQueries.GetStory), "story.get"),
        (typeof(StoryQueries.StoryNotFound), "story.not-found"),
        (typeof(StoryView), "story.view"),
    ];

    private static readonly Dictionary<Type, string> ManifestByType = Table.ToDictionary(t => t.Type, t => t.Manifest);
    private static readonly Dictionary<string, Type> TypeByManifest = Table.ToDictionary(t => t.Manifest, t => t.Type);

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => ManifestByType.TryGetValue(o.GetType(), out var m)
        ? m : throw new ArgumentException($"{o.GetType()} is not a story message this serializer knows", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest) =>
        TypeByManifest.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json) ?? throw new SerializationException($"empty payload for '{manifest}'")
            : throw new SerializationException($"unknown story message manifest '{manifest}': a node of another release?");
}
