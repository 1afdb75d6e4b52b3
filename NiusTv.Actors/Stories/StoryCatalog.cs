using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace NiusTv.Actors.Stories;

/// <summary>The list of stories, read from the journal: each story's state is the fold of its events, so listing
/// never wakes the actors of finished stories.</summary>
public sealed class StoryCatalog(ActorSystem system, string queryPluginId)
{
    public const string PersistenceIdPrefix = "story-";

    public async Task<IReadOnlyList<StoryState>> ListAsync(CancellationToken ct = default)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(queryPluginId);
        var states = await journal.CurrentAllEvents(Offset.NoOffset())
            .Where(e => e.PersistenceId.StartsWith(PersistenceIdPrefix, StringComparison.Ordinal) && e.Event is IStoryEvent)
            .RunAggregate(new Dictionary<string, StoryState>(), (acc, e) =>
            {
                var id = e.PersistenceId[PersistenceIdPrefix.Length..];
                acc[id] = (acc.TryGetValue(id, out var s) ? s : StoryState.Empty(id)).Apply((IStoryEvent)e.Event);
                return acc;
            }, system.Materializer())
            .WaitAsync(ct);
        return states.Values.OrderByDescending(s => s.AcceptedAt).ToList();
    }

    /// <summary>Every journaled event of one story, in order (what tests and operators read as the truth).</summary>
    public async Task<IReadOnlyList<IStoryEvent>> EventsAsync(string storyId, CancellationToken ct = default)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(queryPluginId);
        var events = await journal.CurrentEventsByPersistenceId(PersistenceIdPrefix + storyId, 0, long.MaxValue)
            .Where(e => e.Event is IStoryEvent).Select(e => (IStoryEvent)e.Event)
            .RunWith(Sink.Seq<IStoryEvent>(), system.Materializer())
            .WaitAsync(ct);
        return events;
    }
}
