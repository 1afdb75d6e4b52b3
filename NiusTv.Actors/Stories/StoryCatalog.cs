using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Persistence.Sql.Query.InternalProtocol;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace NiusTv.Actors.Stories;

/// <summary>The list of stories, read from the journal: each story's state is the fold of its events, so listing
/// never wakes the actors of finished stories. The fold is kept: each call reads only the events journaled since
/// the last one (the all-events query from its last offset), so a list or a metrics scrape costs what changed, not
/// the whole journal, and still sees every story published before the call, on any node. Between calls the catalog
/// runs nothing, so an idle node pays nothing per story (the read journal's sequence actor still reads the journal's
/// newest offset every <see cref="StoryPersistence.SequenceQueryDelay"/>; a call asks it for a round at once).</summary>
/// <param name="checkpointPath">where the node keeps the fold between runs (offset and every story's state), so a
/// restart reads only what the journal gained since; null keeps it in memory only.</param>
/// <param name="journal">names the journal the checkpoint was folded from (its connection): a checkpoint of another
/// journal is ignored. Only a hash of it is written.</param>
public sealed class StoryCatalog(ActorSystem system, string queryPluginId, string? checkpointPath = null, string? journal = null)
{
    public const string PersistenceIdPrefix = "story-";

    /// <summary>Events folded since the last checkpoint before a list writes a new one (besides the one written
    /// when the node stops): a node killed without stopping re-reads at most this many.</summary>
    public const int CheckpointEvery = 50_000;

    private const string CheckpointFormat = "nius-story-catalog-v1";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, StoryState> _states = new(StringComparer.Ordinal);
    private long _offset;
    /// <summary>The last story event folded, with its offset: stories never delete events, so it proves on the next
    /// start that the journal is still the one the checkpoint was folded from (probes delete theirs).</summary>
    private (string PersistenceId, long SequenceNr, long Ordering) _lastStoryEvent = ("", 0, 0);
    private long _foldedSinceCheckpoint;
    private bool _checkpointRead;
    private IReadOnlyList<StoryState>? _newestFirst;

    /// <summary>Journal events the catalog has read in all (of stories or not, new or already seen), for checks
    /// that a list costs what changed.</summary>
    public long EventsRead { get; private set; }

    /// <summary>Stories the last checkpoint read held (0 when none was read), for checks that a restart used it.</summary>
    public int StoriesFromCheckpoint { get; private set; }

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

    /// <summary>Reads the checkpoint and what the journal gained since, and sorts the list: started with the node,
    /// so its first list does not wait for the journal to be folded.</summary>
    public Task WarmAsync(CancellationToken ct = default) => ListAsync(ct);

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

    /// <summary>Writes the checkpoint now (the node does when it stops). Skipped when a list holds the catalog for
    /// longer than <paramref name="wait"/>: a stopping node must not hang on it, and the next start only reads more.</summary>
    public async Task SaveCheckpointAsync(TimeSpan wait)
    {
        if (checkpointPath is null || !await _gate.WaitAsync(wait)) return;
        try { WriteCheckpoint(); }
        finally { _gate.Release(); }
    }

    private async Task CatchUpAsync(CancellationToken ct)
    {
        if (!_checkpointRead)
        {
            _checkpointRead = true;
            await ReadCheckpointAsync(ct);
        }
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(queryPluginId);
        // Collected first and folded after: a cancelled wait must not leave a half-applied stream behind.
        var fresh = await WithSequenceRounds(journal.CurrentAllEvents(_offset == 0 ? Offset.NoOffset() : Offset.Sequence(_offset))
            .RunWith(Sink.Seq<EventEnvelope>(), system.Materializer()), ct);
        EventsRead += fresh.Count;
        foreach (var e in fresh)
        {
            if (e.Offset is not Sequence { Value: var ordering } || ordering <= _offset) continue; // seen already
            _offset = ordering;
            if (!e.PersistenceId.StartsWith(PersistenceIdPrefix, StringComparison.Ordinal) || e.Event is not IStoryEvent story) continue;
            _lastStoryEvent = (e.PersistenceId, e.SequenceNr, ordering);
            var id = e.PersistenceId[PersistenceIdPrefix.Length..];
            _states[id] = (_states.TryGetValue(id, out var s) ? s : StoryState.Empty(id)).Apply(story);
            _foldedSinceCheckpoint++;
            _newestFirst = null;
        }
        if (_foldedSinceCheckpoint >= CheckpointEvery) WriteCheckpoint();
    }

    /// <summary>The query reads only up to the newest offset the read journal's sequence actor has seen without gaps,
    /// and that actor reads the journal on its own only every <see cref="StoryPersistence.SequenceQueryDelay"/>. So the
    /// catalog asks it for a round as the query starts (a list right after a publish sees it at once), and once every
    /// <see cref="SequenceRoundEvery"/> while the query waits: as often as the actor read the journal on its own
    /// before, so a gap (an offset still being written, or a deleted probe) is given up after as many seconds.</summary>
    private async Task<T> WithSequenceRounds<T>(Task<T> query, CancellationToken ct)
    {
        while (true)
        {
            var wait = _lastSequenceRound + SequenceRoundEvery - DateTimeOffset.UtcNow;
            if (wait <= TimeSpan.Zero)
            {
                SequenceRounds++;
                _lastSequenceRound = DateTimeOffset.UtcNow;
                system.ActorSelection(SequenceActorPath).Tell(QueryOrderingIds.Instance);
                wait = SequenceRoundEvery;
            }
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (await Task.WhenAny(query, Task.Delay(wait, waiting.Token)) == query)
            {
                await waiting.CancelAsync();
                return await query;
            }
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>How often a waiting catch-up asks the read journal's sequence actor for a round.</summary>
    public static readonly TimeSpan SequenceRoundEvery = TimeSpan.FromSeconds(1);

    /// <summary>The read journal's sequence actor, which the plugin starts under /system, named after the query plugin
    /// and the journal table.</summary>
    private string SequenceActorPath => $"/system/{queryPluginId}-*-akka-persistence-sql-sequence-actor";

    private DateTimeOffset _lastSequenceRound = DateTimeOffset.MinValue;

    /// <summary>Rounds the catalog asked of the read journal's sequence actor, for checks that an idle catalog asks none.</summary>
    public int SequenceRounds { get; private set; }

    private string JournalHash => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(journal ?? queryPluginId)));

    /// <summary>Each story as its snapshot (<c>story.snapshot.v1</c>, through the same serializer as the snapshot
    /// store), so a checkpoint reads back under the same versioning rules as the journal. Written beside and then
    /// moved over the old one: a node killed while writing keeps the previous checkpoint.</summary>
    private void WriteCheckpoint()
    {
        if (checkpointPath is null || _lastStoryEvent.Ordering == 0) return;
        var serialization = system.Serialization;
        var partial = checkpointPath + ".partial";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!);
        using (var file = new BinaryWriter(File.Create(partial), Encoding.UTF8))
        {
            file.Write(CheckpointFormat);
            file.Write(JournalHash);
            file.Write(_offset);
            file.Write(_lastStoryEvent.PersistenceId);
            file.Write(_lastStoryEvent.SequenceNr);
            file.Write(_lastStoryEvent.Ordering);
            file.Write(_states.Count);
            foreach (var state in _states.Values)
            {
                var snapshot = StorySnapshot.Of(state);
                var serializer = (Akka.Serialization.SerializerWithStringManifest)serialization.FindSerializerFor(snapshot);
                var bytes = serializer.ToBinary(snapshot);
                file.Write(serializer.Identifier);
                file.Write(serializer.Manifest(snapshot));
                file.Write(bytes.Length);
                file.Write(bytes);
            }
        }
        File.Move(partial, checkpointPath, overwrite: true);
        _foldedSinceCheckpoint = 0;
    }

    /// <summary>Starts the fold from the checkpoint when it was made from this journal and the journal still holds the
    /// last event it folded (a journal deleted or replaced behind the node makes it worthless: the fold starts over).
    /// A checkpoint that cannot be read is only a slower start, never a failed one.</summary>
    private async Task ReadCheckpointAsync(CancellationToken ct)
    {
        if (checkpointPath is null || !File.Exists(checkpointPath)) return;
        // Asked for first: the read journal's sequence actor starts scanning the journal's offsets now, while the
        // checkpoint is read, instead of after it (the catch-up below waits for that scan).
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(queryPluginId);
        StoryState[] states;
        long offset;
        (string PersistenceId, long SequenceNr, long Ordering) last;
        try
        {
            // One thread: spread over the thread pool, it starved the cluster's heartbeats on a small machine.
            using var file = new BinaryReader(File.OpenRead(checkpointPath), Encoding.UTF8);
            if (file.ReadString() != CheckpointFormat || file.ReadString() != JournalHash) return;
            offset = file.ReadInt64();
            last = (file.ReadString(), file.ReadInt64(), file.ReadInt64());
            states = new StoryState[file.ReadInt32()];
            for (var i = 0; i < states.Length; i++)
            {
                var serializerId = file.ReadInt32();
                var manifest = file.ReadString();
                var bytes = file.ReadBytes(file.ReadInt32());
                states[i] = ((StorySnapshot)system.Serialization.Deserialize(bytes, serializerId, manifest)).ToState();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            system.Log.Warning("story catalog: checkpoint {0} unreadable ({1}): folding the journal from the start", checkpointPath, e.Message);
            return;
        }
        var still = await journal.CurrentEventsByPersistenceId(last.PersistenceId, last.SequenceNr, last.SequenceNr)
            .RunWith(Sink.Seq<EventEnvelope>(), system.Materializer())
            .WaitAsync(ct);
        if (still is not [{ Offset: Sequence { Value: var ordering } }] || ordering != last.Ordering)
        {
            system.Log.Warning("story catalog: checkpoint {0} does not match the journal (its last event is gone): folding the journal from the start", checkpointPath);
            return;
        }
        foreach (var state in states) _states[state.Id] = state;
        (_offset, _lastStoryEvent, _newestFirst, StoriesFromCheckpoint) = (offset, last, null, states.Length);
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
