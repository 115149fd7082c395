using Npgsql;

namespace Orchestrator.Catalogue.Postgres;

/// <summary>Connections, transactions, retries and small command helpers.</summary>
public sealed partial class PostgresCatalogue
{
    /// <summary>Runs <paramref name="work"/> in one READ COMMITTED transaction, committed only if it returns.</summary>
    internal Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) =>
        RetryAsync(async () =>
        {
            await using var conn = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            var result = await work(conn, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, ct);

    /// <summary>Runs <paramref name="work"/> on a pooled connection without an explicit transaction: each statement (or
    /// batch) commits by itself. For reads, and for writes that are one statement: one round trip instead of three.</summary>
    private Task<T> ConnectedAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct) =>
        RetryAsync(async () =>
        {
            await using var conn = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
            return await work(conn).ConfigureAwait(false);
        }, ct);

    /// <summary>Retries while the server cannot be reached or is restarting (and on serialization conflicts), with
    /// exponential backoff and jitter, for up to <see cref="PostgresStoreOptions.ReconnectFor"/>.</summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> attempt, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + _options.ReconnectFor;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)delay.TotalMilliseconds + 1)), ct).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    /// <summary>Failures after which the same operation may succeed: lost or refused connections, a server shutting
    /// down or starting up, serialization failures and deadlocks.</summary>
    internal static bool IsTransient(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.TooManyConnections || pg.SqlState is "25P03" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npg => npg.IsTransient || npg.InnerException is System.Net.Sockets.SocketException or IOException or EndOfStreamException,
        System.Net.Sockets.SocketException or IOException => true,
        _ => false,
    };

    private static NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, (string Name, object? Value)[] args)
    {
        var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var (name, value) in args)
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    internal static async Task<int> ExecAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct,
        params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(conn, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    internal static async Task<object?> ScalarAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct,
        params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(conn, tx, sql, args);
        var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is DBNull ? null : v;
    }

    internal static Task<List<T>> QueryAsync<T>(NpgsqlConnection conn, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct,
        params (string Name, object? Value)[] args) =>
        QueryAsync(conn, sql, map, ct, null, args);

    internal static async Task<List<T>> QueryAsync<T>(NpgsqlConnection conn, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct,
        NpgsqlTransaction? tx, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(conn, tx, sql, args);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<T>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(map(r));
        return list;
    }
}
