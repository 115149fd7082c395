using Akka.Configuration;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using Akka.Persistence.Sql.Extensions;
using Akka.Persistence.Sql.Journal.Types;
using Akka.Persistence.Sql.Snapshot;
using LinqToDB;
using Npgsql;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// Creates the journal, tag and snapshot tables of Akka.Persistence.Sql, with the plugins' own mapping, before any
/// plugin starts. Each plugin creates its tables when it starts (auto-initialize), and a journal plugin whose creation
/// fails stops for the life of the process: on a database nobody used yet, the nodes of a cluster starting at once,
/// and the two journal plugins and the snapshot store of one node, all create the same tables, and PostgreSQL lets
/// concurrent <c>CREATE TABLE IF NOT EXISTS</c> of one name fail on its catalog's unique key (23505). Here processes
/// create them in turn, under an advisory lock (SQLite lets one writer at a time create); the plugins then find them.
/// </summary>
public static class JournalSchema
{
    /// <summary>The advisory lock key ("orchjrn") processes take in turn to create the tables.</summary>
    public const long CreationLock = 0x6F7263686A726E;

    public static async Task EnsureAsync(StoreLocation location, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        var config = JournalSettings.Config(location);
        var journal = new JournalConfig(config.GetConfig(JournalSettings.JournalPlugin).WithFallback(SqlPersistence.DefaultJournalConfiguration));
        var snapshot = new SnapshotConfig(config.GetConfig(JournalSettings.SnapshotPlugin).WithFallback(SqlPersistence.DefaultSnapshotConfiguration));

        // A session lock on an unpooled connection of its own: released when it closes, or when the process dies.
        await using var lockSession = location.Postgres is { } pg ? new NpgsqlConnection(pg.ConnectionString() + ";Pooling=false") : null;
        if (lockSession is not null)
        {
            await lockSession.OpenAsync(ct).ConfigureAwait(false);
            await using var take = new NpgsqlCommand($"SELECT pg_advisory_lock({CreationLock});", lockSession) { CommandTimeout = 120 };
            await take.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await CreateTablesAsync(journal, snapshot, ct).ConfigureAwait(false);
    }

    private static async Task CreateTablesAsync(JournalConfig journal, SnapshotConfig snapshot, CancellationToken ct)
    {
        await using (var connection = new AkkaPersistenceDataConnectionFactory(journal).GetConnection())
        {
            await connection.CreateTableAsync<JournalRow>(TableOptions.CreateIfNotExists, journal.GenerateJournalFooter(), ct).ConfigureAwait(false);
            if (journal.PluginConfig.TagMode is not TagMode.Csv)
                await connection.CreateTableAsync<JournalTagRow>(TableOptions.CreateIfNotExists, journal.GenerateTagFooter(), ct).ConfigureAwait(false);
        }

        await using (var connection = new AkkaPersistenceDataConnectionFactory(snapshot).GetConnection())
        {
            var footer = snapshot.GenerateSnapshotFooter();
            if (connection.UseDateTime)
                await connection.CreateTableAsync<DateTimeSnapshotRow>(TableOptions.CreateIfNotExists, footer, ct).ConfigureAwait(false);
            else
                await connection.CreateTableAsync<LongSnapshotRow>(TableOptions.CreateIfNotExists, footer, ct).ConfigureAwait(false);
        }
    }
}
