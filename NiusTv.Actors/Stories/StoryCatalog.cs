using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace NiusTv.Actors.Stories;

/// <summary>The list of stories, read from the journal: each story's state is the fold of its events, so listing
/// never wakes the actors of finished stories. The fold is kept: each call reads only the events journaled since
/// the last one (the all-events query from its last offset), so a list or a metrics scrape costs what changed, not
/// the whole journal, and still sees every story published before the call, on any node.</summary>
public sealed class StoryCatalog(ActorSystem system, string queryPluginId)
{
    public const string PersistenceIdPrefix = "story-";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, StoryState> _states = new(StringComparer.Ordinal);
    private long _offset;
    private IReadOnlyList<StoryState>? _newestFirst;

    /// <summary>Journal events the catalog has read in all (of stories or not, new or already seen), for checks
    /// that a list costs what changed.</summary>
    public long EventsRead { get; private set; }

    /// <summary>Every story, newest accepted first (ties by id).</summary>
    public async Task<IReadOnlyList<StoryState>> ListAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await CatchUpAsync(ct);
            return _newestFirst ??= _states.Values
                .OrderByDescending(s => s.AcceptedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
        }
        finally { _gate.Release(); }
    }

    /// <summary>One story's folded state, or null when the journal has none.</summary>
    public async Task<StoryState?> FindAsync(string storyId, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await CatchUpAsync(ct);
            return _states.GetValueOrDefault(storyId);
        }
        finally { _gate.Release(); }
    }

    private async Task CatchUpAsync(CancellationToken ct)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(queryPluginId);
        // Collected first and folded after: a cancelled wait must not leave a half-applied stream behind.
        var fresh = await journal.CurrentAllEvents(_offset == 0 ? Offset.NoOffset() : Offset.Sequence(_offset))
            .RunWith(Sink.Seq<EventEnvelope>(), system.Materializer())
            .WaitAsync(ct);
        EventsRead += fresh.Count;
        foreach (var e in fresh)
        {
            if (e.Offset is not Sequence { Value: var ordering } || ordering <= _offset) continue; // seen already
            _offset = ordering;
            if (!e.PersistenceId.StartsWith(PersistenceIdPrefix, StringComparison.Ordinal) || e.Event is not IStoryEvent story) continue;
            var id = e.PersistenceId[PersistenceIdPrefix.Length..];
            _states[id] = (_states.TryGetValue(id, out var s) ? s : StoryState.Empty(id)).Apply(story);
            _newestFirst = null;
        }
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

/// <summary>Pages of a newest-first list. A cursor names the last story a page showed (when it was accepted, and its
/// id), so the next page starts right after it even when newer stories arrived meanwhile.</summary>
public static class StoryPages
{
    public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

    /// <exception cref="FormatException">the cursor was not made by <see cref="Take{T}"/>; the message says so.</exception>
    public static Page<T> Take<T>(IReadOnlyList<T> newestFirst, Func<T, (DateTimeOffset? AcceptedAt, string Id)> key, int? limit, string? cursor)
    {
        var start = 0;
        if (cursor is { Length: > 0 })
        {
            var (at, id) = Parse(cursor);
            start = newestFirst.Count;
            for (var i = 0; i < newestFirst.Count; i++)
            {
                var (itemAt, itemId) = key(newestFirst[i]);
                var ticks = itemAt?.UtcTicks ?? 0;
                if (ticks < at || (ticks == at && string.CompareOrdinal(itemId, id) > 0)) { start = i; break; }
            }
        }
        var count = Math.Min(limit ?? int.MaxValue, newestFirst.Count - start);
        var items = newestFirst.Skip(start).Take(count).ToList();
        string? next = null;
        if (start + count < newestFirst.Count && items.Count > 0)
        {
            var (lastAt, lastId) = key(items[^1]);
            next = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{lastAt?.UtcTicks ?? 0}:{lastId}"))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }
        return new Page<T>(items, next);
    }

    private static (long Ticks, string Id) Parse(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            var colon = text.IndexOf(':');
            if (colon > 0 && long.TryParse(text[..colon], out var ticks) && colon < text.Length - 1) return (ticks, text[(colon + 1)..]);
        }
        catch (FormatException) { }
        throw new FormatException($"cursor '{cursor}' is not one this list gave out: use the next cursor of the page before, or none for the first page");
    }
}
