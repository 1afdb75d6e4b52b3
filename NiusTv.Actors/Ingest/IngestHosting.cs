using Akka.Hosting;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Cloud;

namespace NiusTv.Actors.Ingest;

public static class IngestHosting
{
    /// <summary>Starts ingest on this node, feeding the story shard region (registered by AddStoryActor), and the
    /// status announcements of the stories that run here.</summary>
    public static AkkaConfigurationBuilder AddIngest(this AkkaConfigurationBuilder builder, IPubSub pubsub, IngestSettings settings) =>
        builder.WithActors((system, registry) =>
        {
            var stories = registry.Get<StoryActor>();
            registry.Register<IngestActor>(system.ActorOf(IngestActor.Create(pubsub, stories, settings), "ingest"));
            registry.Register<StatusPublisher>(system.ActorOf(StatusPublisher.Create(pubsub), "story-status"));
        });
}
