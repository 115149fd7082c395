using Npgsql;
using Orchestrator.Catalogue.Postgres;

namespace Orchestrator.Catalogue.Leases;

/// <summary>
/// The coordinator lease of a PostgreSQL store: a session-level advisory lock held by a connection of its own (not
/// pooled), which the server releases when the session ends (the process died, its network was cut); the holder's
/// contact is the one row of <c>coordinator_holder</c>. After a server restart the holder takes the lock again if no
/// other process took it first; if one did, the lease is lost and <see cref="ConfirmAsync"/> says so.
/// </summary>
public sealed class PostgresCoordinatorLease(PostgresTarget target) : ICoordinatorLease
{
    /// <summary>Advisory lock keys are per database, so one key serves every store.</summary>
    public const long LockKey = 0x6F7263686364;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _session;

    public string Store => target.Display;

    public bool IsHeld => _session is not null;

    public async Task<bool> TryAcquireAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return _session is not null || await TakeAsync(clearContact: true, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<bool> ConfirmAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_session is null) return false;
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1;", _session);
                await ping.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // The session ended (a server restart): the lock went with it. Take it again unless another did.
                await DropSessionAsync().ConfigureAwait(false);
                try
                {
                    return await TakeAsync(clearContact: false, ct).ConfigureAwait(false);
                }
                catch (NpgsqlException)
                {
                    return false;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task PublishAsync(CoordinatorHolder holder, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        if (_session is null) throw new InvalidOperationException($"{Store}: this process does not hold the coordinator lease");
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO coordinator_holder (id, address, pid, host, since) VALUES (1, @a, @p, @h, @s)
            ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, pid = EXCLUDED.pid, host = EXCLUDED.host, since = EXCLUDED.since;
            """, _session);
        cmd.Parameters.AddWithValue("a", holder.Address);
        cmd.Parameters.AddWithValue("p", holder.ProcessId);
        cmd.Parameters.AddWithValue("h", holder.Host);
        cmd.Parameters.AddWithValue("s", holder.Since.UtcTicks);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads pg_locks: a bigint advisory key shows as its high and low 32 bits, objsubid 1.</summary>
    public async Task<bool> HeldByAnotherAsync(CancellationToken ct = default)
    {
        if (_session is not null) return false;
        await using var conn = new NpgsqlConnection(target.ConnectionString());
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                           WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = @hi AND l.objid::bigint = @lo AND l.objsubid = 1
                             AND d.datname = current_database() AND l.pid <> pg_backend_pid());
            """, conn);
        cmd.Parameters.AddWithValue("hi", (long)(LockKey >> 32));
        cmd.Parameters.AddWithValue("lo", LockKey & 0xFFFFFFFFL);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async Task<CoordinatorHolder?> ReadHolderAsync(CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(target.ConnectionString());
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT address, pid, host, since FROM coordinator_holder WHERE id = 1;", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new CoordinatorHolder(reader.GetString(0), reader.GetInt32(1), reader.GetString(2),
            new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero));
    }

    private async Task<bool> TakeAsync(bool clearContact, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString()) { Pooling = false, NoResetOnClose = false };
        var session = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await session.OpenAsync(ct).ConfigureAwait(false);
            await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@k);", session);
            take.Parameters.AddWithValue("k", LockKey);
            if (!(bool)(await take.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            {
                await session.DisposeAsync().ConfigureAwait(false);
                return false;
            }
            if (clearContact)
            {
                // An earlier holder's contact is stale: it is gone, or it would hold the lock.
                await using var clear = new NpgsqlCommand("DELETE FROM coordinator_holder;", session);
                await clear.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            _session = session;
            return true;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task DropSessionAsync()
    {
        if (_session is null) return;
        try
        {
            await _session.DisposeAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // Already broken: nothing to give back.
        }
        _session = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_session is null) return;
            try
            {
                await using var clear = new NpgsqlCommand("DELETE FROM coordinator_holder; SELECT pg_advisory_unlock(@k);", _session);
                clear.Parameters.AddWithValue("k", LockKey);
                await clear.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // The session is gone, and its lock with it.
            }
            await DropSessionAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
