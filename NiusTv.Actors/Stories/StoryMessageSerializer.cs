using System.Text.Json;
using Akka.Actor;
using NiusTv.Actors.Serialization;

namespace NiusTv.Actors.Stories;

/// <summary>Serializes the story protocol as it crosses nodes (a command sent through another node's region or a
/// proxy, its reply coming back). The default JSON serializer writes CLR type names of collections, which breaks on
/// the compiler's own collection types and ties the wire to our class layout. Every message that may cross nodes is
/// in <see cref="Table"/>; the hosting binds exactly these types. Not journaled, so no versions or upgrades: nodes of
/// one cluster run one release.</summary>
public sealed class StoryMessageSerializer(ExtendedActorSystem system) : ManifestTableSerializer(system, SerializerId, "story message",
    "a node of another release?", Table, new JsonSerializerOptions(JsonSerializerDefaults.Web))
{
    public const int SerializerId = 7102;

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
        (typeof(StoryChanged), "story.changed"),
    ];
}
