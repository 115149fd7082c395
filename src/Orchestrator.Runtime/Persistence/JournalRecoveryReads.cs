using System.Data.Common;
using Akka.Persistence.Sql.Config;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// A recovery's two reads of the journal table, its highest sequence number and then its events, as plain ADO.NET
/// commands on the plugin's own table and column names. Through the plugin's LINQ layer each read cost more than the
/// few dozen events of a trial's journal did: recovering 100 trials at once went from about 16,000 to about 40,000
/// events/s on PostgreSQL (docs/benchmarks.md, journal, 2026-12-07). The highest number is the plugin's (native mode:
/// the largest of the id's rows after a number, deleted ones included); the events are its replay's (rows not marked
/// deleted, in order).
/// </summary>
internal sealed class JournalRecoveryReads
{
    /// <summary>One stored event, as the replay hands it to the serializer.</summary>
    public sealed record Row(long SequenceNumber, byte[] Message, string? Manifest, int? Identifier, string? WriterUuid, long Timestamp);

    private readonly DbProviderFactory _provider;
    private readonly string _connectionString;
    private readonly string _highestSql;
    private readonly string _pageSql;

    public JournalRecoveryReads(JournalConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        // In that mode the plugin also reads a metadata table for the highest number, which these reads do not.
        if (config.DaoConfig.SqlCommonCompatibilityMode)
            throw new NotSupportedException("the journal's sql-common-compatibility-mode is not supported: turn it off");
        _provider = ProviderOf(config.ProviderName);
        _connectionString = config.ConnectionString;

        var table = config.TableConfig.EventJournalTable;
        var column = table.ColumnNames;
        var name = string.IsNullOrEmpty(config.TableConfig.SchemaName) ? Quote(table.Name) : $"{Quote(config.TableConfig.SchemaName)}.{Quote(table.Name)}";
        var (id, number) = (Quote(column.PersistenceId), Quote(column.SequenceNumber));
        _highestSql = $"SELECT MAX({number}) FROM {name} WHERE {id} = @id AND {number} > @after";
        _pageSql = $"SELECT {number}, {Quote(column.Message)}, {Quote(column.Manifest)}, {Quote(column.Identifier)}, {Quote(column.WriterUuid)}, "
            + $"{Quote(column.Created)} FROM {name} WHERE {id} = @id AND {number} >= @from AND {number} <= @to AND NOT {Quote(column.Deleted)} "
            + $"ORDER BY {number} LIMIT @take";
    }

    /// <summary>The highest sequence number of the id above <paramref name="after"/>, or 0 when it has none.</summary>
    public async Task<long> HighestAsync(string persistenceId, long after, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = Command(connection, _highestSql, ("@id", persistenceId), ("@after", after));
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is { } highest and not DBNull ? Convert.ToInt64(highest, null) : 0;
    }

    /// <summary>Up to <paramref name="take"/> events of the id from <paramref name="from"/> to <paramref name="to"/>, in order.</summary>
    public async Task<List<Row>> PageAsync(string persistenceId, long from, long to, int take, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = Command(connection, _pageSql, ("@id", persistenceId), ("@from", from), ("@to", to), ("@take", take));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<Row>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rows.Add(new Row(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5)));
        }
        return rows;
    }

    private async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = _provider.CreateConnection() ?? throw new InvalidOperationException("the database provider made no connection");
        connection.ConnectionString = _connectionString;
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private static DbProviderFactory ProviderOf(string providerName) => providerName switch
    {
        _ when providerName.StartsWith("PostgreSQL", StringComparison.Ordinal) => NpgsqlFactory.Instance,
        _ when providerName.StartsWith("SQLite", StringComparison.Ordinal) => SqliteFactory.Instance,
        _ => throw new NotSupportedException($"journal provider {providerName}: only PostgreSQL and SQLite are supported"),
    };

    /// <summary>A quoted identifier: PostgreSQL and SQLite both take double quotes.</summary>
    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
