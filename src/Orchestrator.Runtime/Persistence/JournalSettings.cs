using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// The Akka.Persistence.Sql journals (two instances of <see cref="SqlJournal"/> on one table), snapshot store and read
/// journal for a store URL: the same database as the sweep and trial rows (a SQLite file, or PostgreSQL with the
/// password from the environment or a passfile).
/// </summary>
public static class JournalSettings
{
    private const string PluginId = "sql";
    private const string CoordinatorPluginId = "sql-coordinator";

    /// <summary>The default journal plugin: the trials' (and the node warm-up's), the one the read journal names.</summary>
    public const string JournalPlugin = "akka.persistence.journal." + PluginId;

    /// <summary>The sweep coordinator's own instance of the SQL journal, on the same tables: its own write queue,
    /// circuit breaker and recovery permits, so that no trial's write (a fenced one above all) fails or delays its own.</summary>
    public const string CoordinatorJournalPlugin = "akka.persistence.journal." + CoordinatorPluginId;

    /// <summary>The snapshot store (the coordinator's snapshots).</summary>
    public const string SnapshotPlugin = "akka.persistence.snapshot-store." + PluginId;

    private const string QueryRefresh = "500ms";

    /// <summary>The persistence plugins of <paramref name="location"/> on an Akka.Hosting builder: the journal of
    /// trials (the default, and the read journal's), the coordinator's own journal, and the snapshot store. The
    /// connection string may hold a password: it lives only in the actor system's configuration, never in argv or logs.</summary>
    public static AkkaConfigurationBuilder AddTo(AkkaConfigurationBuilder builder, StoreLocation location)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var (connection, provider) = ConnectionOf(location);
        builder.WithSqlPersistence(Journal(connection, provider, PluginId, isDefault: true), Snapshot(connection, provider));
        builder.WithSqlPersistence(Journal(connection, provider, CoordinatorPluginId, isDefault: false), snapshotOptions: null);
        return builder.AddHocon(Overrides, HoconAddMode.Prepend);
    }

    /// <summary>The plugins' configuration without an actor system (<see cref="JournalSchema"/> makes their tables with it).</summary>
    public static Config Config(StoreLocation location)
    {
        var (connection, provider) = ConnectionOf(location);
        return Overrides
            .WithFallback(Journal(connection, provider, PluginId, isDefault: true).ToConfig())
            .WithFallback(Snapshot(connection, provider).ToConfig());
    }

    /// <summary>Both journals are this product's <see cref="SqlJournal"/>, the plugin's with two changes. Akka's replay
    /// filter is off: the plugin stores its journal's writer id (one per process) in each row, not the actor's, so the
    /// filter took a trial that ran on a process, then another, then the first again for an old writer still writing,
    /// and dropped its newest events. Stale writers are fenced where they can be: by sequence number in the journal,
    /// by attempt number in a trial's history (<c>TrialEvolution.IsSuperseded</c>), by the lease for the coordinator.</summary>
    private static Config Overrides
    {
        get
        {
            var journalClass = $"{typeof(SqlJournal).FullName}, {typeof(SqlJournal).Assembly.GetName().Name}";
            return ConfigurationFactory.ParseString($$"""
                {{JournalPlugin}}.class = "{{journalClass}}"
                {{CoordinatorJournalPlugin}}.class = "{{journalClass}}"
                {{JournalPlugin}}.replay-filter.mode = off
                {{CoordinatorJournalPlugin}}.replay-filter.mode = off
                akka.persistence.query.journal.{{PluginId}}.refresh-interval = {{QueryRefresh}}
                """);
        }
    }

    private static SqlSnapshotOptions Snapshot(string connection, string provider) =>
        new(isDefaultPlugin: true, identifier: PluginId) { ConnectionString = connection, ProviderName = provider, AutoInitialize = true };

    private static SqlJournalOptions Journal(string connection, string provider, string identifier, bool isDefault) =>
        new(isDefaultPlugin: isDefault, identifier: identifier) { ConnectionString = connection, ProviderName = provider, AutoInitialize = true };

    private static (string Connection, string Provider) ConnectionOf(StoreLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Kind switch
        {
            // Microsoft.Data.Sqlite waits up to Default Timeout for another connection's write lock.
            StoreKind.Sqlite => ($"Data Source={location.DatabasePath};Default Timeout=30", "SQLite.MS"),
            StoreKind.Postgres => (location.Postgres!.ConnectionString(), "PostgreSQL.15"),
            _ => throw new NotSupportedException($"store kind {location.Kind}"),
        };
    }

    public static string PersistenceIdOf(string trialId) => $"trial-{trialId}";
}
