using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace NiusTv.Actors.Stories;

/// <summary>One line of the newsroom's live feed: a story's id, revision, state and next step after one of its events
/// was journaled. Small on purpose: a page that wants more fetches the story.</summary>
public sealed record StoryChanged(string Id, int Revision, string State, string? Step, string Event, DateTimeOffset At)
{
    public static StoryChanged From(StoryEventPersisted e) => new(e.After.Id, e.After.Revision, StoryView.StateName(e.After.Status),
        e.After.IsActive ? e.After.NextStep?.Name : null, e.Event.GetType().Name, e.Event.At);
}

/// <summary>The cluster-wide feed of <see cref="StoryChanged"/>. A story runs on the node that owns its shard, but an
/// editor's browser is connected to whichever node the load balancer picked: each worker relays its own stories'
/// events to one distributed pub-sub topic, and every node's <see cref="Feed"/> subscribes to that topic once, at
/// start, and republishes what arrives on its local event stream, where a listener subscribes at once. (A topic
/// subscription takes a gossip round to reach the other nodes, so one per browser would miss its first second.)
/// Pushed, not polled: an idle cluster sends nothing.</summary>
public static class StoryChanges
{
    public const string Topic = "nius-story-changes";

    /// <summary>Relays this node's journaled story events (its local event stream) to the topic.</summary>
    public sealed class Relay : ReceiveActor
    {
        public Relay()
        {
            var mediator = DistributedPubSub.Get(Context.System).Mediator;
            Receive<StoryEventPersisted>(e => mediator.Tell(new Publish(Topic, StoryChanged.From(e))));
        }

        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(StoryEventPersisted));

        protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
    }

    /// <summary>This node's end of the topic: every node's changes, onto the local event stream.</summary>
    public sealed class Feed : ReceiveActor
    {
        public Feed()
        {
            Receive<StoryChanged>(change => Context.System.EventStream.Publish(change));
            Receive<SubscribeAck>(_ => { });
        }

        protected override void PreStart() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(Topic, Self));
    }
}
