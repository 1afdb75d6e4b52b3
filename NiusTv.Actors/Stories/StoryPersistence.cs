using Akka.Hosting;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace NiusTv.Actors.Stories;

public enum JournalKind { Sqlite, Postgres }

public static class StoryPersistence
{
    public const string PluginId = "sql";

    /// <summary>How often the read journal's sequence actor reads the journal's newest offsets when nobody asks it to
    /// (the plugin's default is every second). Only the catalog's queries read up to it, and they ask it for rounds
    /// while they wait (<see cref="StoryCatalog"/>); a live query (AllEvents, EventsByTag), which would wait for its
    /// rounds, would need this back near a second.</summary>
    public static readonly TimeSpan SequenceQueryDelay = TimeSpan.FromMinutes(10);

    /// <summary>The read-journal plugin that <see cref="StoryCatalog"/> queries.</summary>
    public static string QueryPluginId => new SqlJournalOptions(true, PluginId).QueryPluginId;

    /// <summary>Journal and snapshots through Akka.Persistence.Sql (SQLite for a single node, PostgreSQL for a
    /// cluster), with story events bound to the project's own serializer.</summary>
    public static AkkaConfigurationBuilder AddStoryPersistence(this AkkaConfigurationBuilder builder, JournalKind kind, string connectionString) =>
        builder
            .WithSqlPersistence(connectionString,
                kind == JournalKind.Sqlite ? ProviderName.SQLiteMS : ProviderName.PostgreSQL15,
                pluginIdentifier: PluginId,
                autoInitialize: true,
                databaseMapping: kind == JournalKind.Sqlite ? DatabaseMapping.Sqlite : DatabaseMapping.PostgreSql,
                // A node that cannot write its journal cannot accept stories: readiness says so.
                journalBuilder: j => j.WithHealthCheck(HealthStatus.Unhealthy, "journal", ["ready"]))
            // The catalog's catch-up re-asks for new events every refresh-interval while the sequence actor is behind
            // the journal (right after a write or a start): 1 s by default, paid by the list that waits. No live query
            // runs, so a short interval costs nothing idle. Larger batches make a first fold of a long journal, and the
            // sequence actor's first scan of its offsets after a start, cheaper.
            // The sequence actor reads the journal's newest offsets on its own only every query-delay: an idle node
            // would otherwise pay a query (a connection, a transaction, a stream) every second for nobody. A catch-up
            // asks it for a round at once, and then once a second while it waits (StoryCatalog.SequenceRoundEvery), so
            // a list waits for it as before, or less, and gaps are given up after as many rounds as before.
            .AddHocon($"{QueryPluginId} {{ refresh-interval = 100ms\n max-buffer-size = 2000\n journal-sequence-retrieval {{ batch-size = 50000\n query-delay = {SequenceQueryDelay.TotalSeconds:0}s }} }}",
                HoconAddMode.Prepend)
            .WithCustomSerializer("nius-story", [typeof(IStoryEvent), typeof(JournalProbeWritten), typeof(StorySnapshot)], system => new StoryEventSerializer(system))
            .WithActors((system, registry) =>
                registry.Register<JournalWatch>(system.ActorOf(JournalWatch.Create(StoryActor.NodeName(system)), "journal-watch")));
}
