using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// The Akka.Persistence.Sql journals (two instances of <see cref="SqlJournal"/> on one table), snapshot store and read
/// journal for a store URL: the same database as the sweep and trial rows (a SQLite file, or PostgreSQL with the
/// password from the environment or a passfile).
/// </summary>
public static class JournalSettings
{
    /// <summary>The default journal plugin: the trials' (and the node warm-up's), the one the read journal names.</summary>
    public const string JournalPlugin = "akka.persistence.journal.sql";

    /// <summary>The sweep coordinator's own instance of the SQL journal, on the same tables: its own write queue,
    /// circuit breaker and recovery permits, so that no trial's write (a fenced one above all) fails or delays its own.</summary>
    public const string CoordinatorJournalPlugin = "akka.persistence.journal.sql-coordinator";

    /// <summary>The snapshot store (the coordinator's snapshots).</summary>
    public const string SnapshotPlugin = "akka.persistence.snapshot-store.sql";

    /// <summary>The HOCON of the persistence plugins. The connection string may hold a password: it lives only in
    /// the actor system's configuration, never in argv or logs.</summary>
    public static string Hocon(StoreLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var (connection, provider) = location.Kind switch
        {
            // Microsoft.Data.Sqlite waits up to Default Timeout for another connection's write lock.
            StoreKind.Sqlite => ($"Data Source={location.DatabasePath};Default Timeout=30", "SQLite.MS"),
            StoreKind.Postgres => (location.Postgres!.ConnectionString(), "PostgreSQL.15"),
            _ => throw new NotSupportedException($"store kind {location.Kind}"),
        };
        var common = $"""
            connection-string = {Quote(connection)}
            provider-name = {Quote(provider)}
            """;
        var journal = $"""
            class = {Quote($"{typeof(SqlJournal).FullName}, {typeof(SqlJournal).Assembly.GetName().Name}")}
            {common}
            auto-initialize = on
            """;
        return $$"""
            akka.persistence {
              journal {
                plugin = "{{JournalPlugin}}"
                sql {
                  {{journal}}
                }
              }
              snapshot-store {
                plugin = "{{SnapshotPlugin}}"
                sql {
                  class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                  {{common}}
                  auto-initialize = on
                }
              }
              query.journal.sql {
                class = "Akka.Persistence.Sql.Query.SqlReadJournalProvider, Akka.Persistence.Sql"
                {{common}}
                write-plugin = "{{JournalPlugin}}"
                refresh-interval = 500ms
              }
            }
            {{CoordinatorJournalPlugin}} {
              {{journal}}
            }
            """;
    }

    /// <summary>A HOCON quoted string (JSON escapes).</summary>
    internal static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public static string PersistenceIdOf(string trialId) => $"trial-{trialId}";
}
