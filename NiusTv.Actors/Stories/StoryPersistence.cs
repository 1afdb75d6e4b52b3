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
            .WithCustomSerializer("nius-story", [typeof(IStoryEvent), typeof(JournalProbeWritten), typeof(StorySnapshot)], system => new StoryEventSerializer(system))
            .WithActors((system, registry) =>
                registry.Register<JournalWatch>(system.ActorOf(JournalWatch.Create(StoryActor.NodeName(system)), "journal-watch")));
}
