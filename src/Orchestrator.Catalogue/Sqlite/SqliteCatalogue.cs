using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Catalogue.Sqlite;

/// <summary>Connection settings of a <see cref="SqliteCatalogue"/>.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>How long a writer waits for another connection's write lock before giving up.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reuse connections (the default). Off, every operation opens the file afresh, which is how
    /// two processes sharing the file behave; tests use it for that.</summary>
    public bool Pooling { get; init; } = true;
}

/// <summary>
/// The embedded store: one SQLite file, shared by any number of threads and processes on one machine.
/// Every operation opens its own (pooled) connection; every write runs in a <c>BEGIN IMMEDIATE</c>
/// transaction, so it holds the database's single write lock from its first read to its commit.
/// </summary>
public sealed partial class SqliteCatalogue : ISweepCatalogue
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private readonly string _connectionString;
    private readonly SqliteStoreOptions _options;
    private readonly string _pragmas;

    private SqliteCatalogue(string path, SqliteStoreOptions options)
    {
        Path = path;
        _options = options;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = options.Pooling,
            ForeignKeys = true,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
        // Per-connection settings; journal_mode=WAL is a property of the file and is set once in MigrateAsync.
        _pragmas = $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating the directory and file if needed) and migrates the store at <paramref name="path"/>.</summary>
    public static Task<SqliteCatalogue> OpenAsync(string path, CancellationToken ct = default) =>
        OpenAsync(path, new SqliteStoreOptions(), ct);

    public static async Task<SqliteCatalogue> OpenAsync(string path, SqliteStoreOptions options, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        return await StoreChecks.MigratedAsync(new SqliteCatalogue(full, options), ct).ConfigureAwait(false);
    }

    public async Task MigrateAsync(CancellationToken ct = default)
    {
        await RetryOnBusyAsync(async () =>
        {
            await using var conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
            // Cannot run inside a transaction; a no-op when the file is already in WAL mode.
            using var wal = conn.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            var mode = (string?)await wal.ExecuteScalarAsync(ct).ConfigureAwait(false);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite store {Path}: could not switch to WAL journal mode (got '{mode}')");
            }
            return 0;
        }, ct).ConfigureAwait(false);

        await WriteAsync((conn, tx) =>
        {
            Exec(conn, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);");
            var current = Convert.ToInt64(Scalar(conn, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version;"), CultureInfo.InvariantCulture);
            foreach (var (version, sql) in SqliteSchema.Migrations)
            {
                if (version <= current)
                {
                    continue;
                }
                Exec(conn, tx, sql);
                Exec(conn, tx, "INSERT INTO schema_version (version, applied_at) VALUES ($v, $t);",
                    ("$v", version), ("$t", FormatTime(DateTimeOffset.UtcNow)));
            }
            return 0;
        }, ct).ConfigureAwait(false);
    }

    public Task<int> RegisterSweepAsync(SweepRecord sweep, IReadOnlyList<TrialRecord> trials, CancellationToken ct = default)
    {
        StoreChecks.Registration(sweep, trials);

        return WriteAsync((conn, tx) =>
        {
            Exec(conn, tx,
                """
                INSERT INTO sweeps (id, name, spec_yaml, created_at) VALUES ($id, $name, $spec, $created)
                ON CONFLICT (id) DO UPDATE SET spec_yaml = excluded.spec_yaml;
                """,
                ("$id", sweep.Id.Value), ("$name", sweep.Name), ("$spec", sweep.SpecYaml), ("$created", FormatTime(sweep.CreatedAt)));

            using var insert = Command(conn, tx,
                """
                INSERT OR IGNORE INTO trials (id, sweep_id, spec_json, status, assigned_to, attempts, updated_at)
                VALUES ($id, $sweep, $spec, $status, $assigned, $attempts, $updated);
                """);
            var p = new[] { "$id", "$sweep", "$spec", "$status", "$assigned", "$attempts", "$updated" }
                .Select(n => insert.Parameters.Add(new SqliteParameter(n, null))).ToArray();
            insert.Prepare();
            var added = 0;
            foreach (var t in trials)
            {
                ct.ThrowIfCancellationRequested();
                p[0].Value = t.Id.Value;
                p[1].Value = t.SweepId.Value;
                p[2].Value = t.SpecJson;
                p[3].Value = t.Status.ToString();
                p[4].Value = (object?)t.AssignedTo ?? DBNull.Value;
                p[5].Value = t.Attempts;
                p[6].Value = FormatTime(t.UpdatedAt);
                added += insert.ExecuteNonQuery();
            }
            return added;
        }, ct);
    }

    public Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<SweepRecord>>(conn =>
            Query(conn, "SELECT id, name, spec_yaml, created_at FROM sweeps ORDER BY rowid;", ReadSweep), ct);

    public Task<SweepRecord?> GetSweepAsync(SweepId sweepId, CancellationToken ct = default) =>
        ReadAsync(conn =>
            Query(conn, "SELECT id, name, spec_yaml, created_at FROM sweeps WHERE id = $id;", ReadSweep, ("$id", sweepId.Value))
                .SingleOrDefault(), ct);

    public Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(SweepId sweepId, CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<TrialRecord>>(conn =>
            Query(conn, $"SELECT {TrialColumns} FROM trials WHERE sweep_id = $s ORDER BY rowid;", ReadTrial, ("$s", sweepId.Value)), ct);

    public Task<TrialRecord?> GetTrialAsync(TrialId trialId, CancellationToken ct = default) =>
        ReadAsync(conn =>
            Query(conn, $"SELECT {TrialColumns} FROM trials WHERE id = $id;", ReadTrial, ("$id", trialId.Value)).SingleOrDefault(), ct);

    public Task UpdateTrialsAsync(IReadOnlyList<TrialRowUpdate> updates, CancellationToken ct = default)
    {
        StoreChecks.Updates(updates);
        if (updates.Count == 0) return Task.CompletedTask;
        return WriteAsync((conn, tx) =>
        {
            using var update = Command(conn, tx,
                "UPDATE trials SET status = $status, assigned_to = $assigned, attempts = $attempts, updated_at = $updated WHERE id = $id;");
            var p = new[] { "$status", "$assigned", "$attempts", "$updated", "$id" }
                .Select(n => update.Parameters.Add(new SqliteParameter(n, null))).ToArray();
            update.Prepare();
            foreach (var u in updates)
            {
                ct.ThrowIfCancellationRequested();
                p[0].Value = u.Status.ToString();
                p[1].Value = (object?)u.AssignedTo ?? DBNull.Value;
                p[2].Value = u.Attempts;
                p[3].Value = FormatTime(u.UpdatedAt);
                p[4].Value = u.TrialId.Value;
                update.ExecuteNonQuery();
            }
            return 0;
        }, ct);
    }

    public Task<bool> SetSweepCancelledAsync(SweepId sweepId, bool cancelled, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync((conn, tx) =>
        {
            if (Scalar(conn, tx, "SELECT 1 FROM sweeps WHERE id = $s;", ("$s", sweepId.Value)) is null) return false;
            Exec(conn, tx,
                """
                INSERT INTO sweep_controls (sweep_id, cancelled, updated_at) VALUES ($s, $c, $now)
                ON CONFLICT (sweep_id) DO UPDATE SET cancelled = excluded.cancelled, updated_at = excluded.updated_at;
                """, ("$s", sweepId.Value), ("$c", cancelled ? 1 : 0), ("$now", FormatTime(now)));
            return true;
        }, ct);

    public Task<bool> IsSweepCancelledAsync(SweepId sweepId, CancellationToken ct = default) =>
        ReadAsync(conn => Query(conn, "SELECT cancelled FROM sweep_controls WHERE sweep_id = $s;", r => r.GetInt64(0) == 1, ("$s", sweepId.Value))
            .SingleOrDefault(), ct);

    public ValueTask DisposeAsync()
    {
        if (_options.Pooling)
        {
            // Lets callers (and tests) delete the file once the store is disposed.
            using var conn = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(conn);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>A connection with this store's per-connection settings applied. The caller disposes it.</summary>

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var conn = new SqliteConnection(_connectionString);
        try
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            using var cmd = conn.CreateCommand();
            cmd.CommandText = _pragmas;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in one <c>BEGIN IMMEDIATE</c> transaction, committed only if it returns;
    /// any exception rolls everything back. Retried from the start when the database stays locked.</summary>
    internal Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken ct) =>
        RetryOnBusyAsync(async () =>
        {
            await using var conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
            using var tx = conn.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            var result = work(conn, tx);
            ct.ThrowIfCancellationRequested();
            tx.Commit();
            return result;
        }, ct);

    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken ct) =>
        RetryOnBusyAsync(async () =>
        {
            await using var conn = await OpenConnectionAsync(ct).ConfigureAwait(false);
            return read(conn);
        }, ct);

    private async Task<T> RetryOnBusyAsync<T>(Func<Task<T>> attempt, CancellationToken ct)
    {
        // busy_timeout already waits inside SQLite; this covers the cases where SQLite reports BUSY
        // without waiting (e.g. while another connection recovers the WAL) and longer lock holders.
        var deadline = DateTime.UtcNow + _options.BusyTimeout * 3;
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBusy or SqliteLocked && DateTime.UtcNow < deadline)
            {
                await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)delay.TotalMilliseconds + 1)), ct)
                    .ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
            }
        }
    }

    private const string TrialColumns = StoreRows.TrialColumns;

    private static DateTimeOffset TimeAt(System.Data.Common.DbDataReader r, int i) => ParseTime(r.GetString(i));
    private static SweepRecord ReadSweep(SqliteDataReader r) => StoreRows.Sweep(r, TimeAt);
    private static TrialRecord ReadTrial(SqliteDataReader r) => StoreRows.Trial(r, TimeAt);

    // Fixed-width UTC text with full tick precision: sorts and compares (lease expiry) as text.
    internal static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string s) =>
        DateTimeOffset.ParseExact(s, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);


    private static SqliteCommand Command(SqliteConnection conn, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    private static int Exec(SqliteConnection conn, SqliteTransaction tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(conn, tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection conn, SqliteTransaction tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(conn, tx, sql, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    private static List<T> Query<T>(SqliteConnection conn, string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] args) =>
        Query(conn, sql, map, null, args);

    private static List<T> Query<T>(SqliteConnection conn, string sql, Func<SqliteDataReader, T> map, SqliteTransaction? tx,
        params (string Name, object? Value)[] args)
    {
        using var cmd = Command(conn, tx, sql, args);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(map(r));
        }
        return list;
    }
}
