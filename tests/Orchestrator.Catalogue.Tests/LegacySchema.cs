using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orchestrator.Catalogue.Postgres;
using Orchestrator.Catalogue.Sqlite;

namespace Orchestrator.Catalogue.Tests;

/// <summary>
/// The schema as it was before membership, leases and leadership moved to Akka.Cluster (commit e146ff1): SQLite
/// versions 1..2, PostgreSQL versions 1..3, copied verbatim so that the migration tests keep testing that old
/// schema whatever the store's migration list becomes.
/// </summary>
internal static class LegacySchema
{
    public const int SqliteVersion = 2;
    public const int PostgresVersion = 3;

    public static readonly IReadOnlyList<string> Sqlite =
    [
        """
        CREATE TABLE IF NOT EXISTS sweeps (
            id          TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            spec_yaml   TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS trials (
            id               TEXT PRIMARY KEY,
            sweep_id         TEXT NOT NULL REFERENCES sweeps (id),
            spec_json        TEXT NOT NULL,
            status           TEXT NOT NULL CHECK (status IN ('Pending', 'Running', 'Completed', 'Failed', 'Cancelled')),
            lease_owner      TEXT,
            lease_epoch      INTEGER NOT NULL DEFAULT 0,
            lease_expires_at TEXT,
            attempts         INTEGER NOT NULL DEFAULT 0,
            updated_at       TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS trials_by_sweep_status ON trials (sweep_id, status);
        """,
        """
        CREATE TABLE IF NOT EXISTS nodes (
            id             TEXT PRIMARY KEY,
            host           TEXT NOT NULL,
            pid            INTEGER NOT NULL,
            roles          TEXT NOT NULL,
            slots          INTEGER NOT NULL,
            busy           INTEGER NOT NULL DEFAULT 0,
            started_at     TEXT NOT NULL,
            last_heartbeat TEXT NOT NULL,
            status         TEXT NOT NULL CHECK (status IN ('Up', 'Unreachable', 'Down', 'Left')),
            draining       INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS sweep_controls (
            sweep_id   TEXT PRIMARY KEY REFERENCES sweeps (id),
            cancelled  INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS leader (
            id      INTEGER PRIMARY KEY CHECK (id = 1),
            node_id TEXT NOT NULL,
            host    TEXT NOT NULL,
            pid     INTEGER NOT NULL,
            since   TEXT NOT NULL,
            term    INTEGER NOT NULL
        );
        """,
    ];

    public static readonly IReadOnlyList<string> Postgres =
    [
        """
        CREATE TABLE sweeps (
            ord         BIGINT GENERATED ALWAYS AS IDENTITY,
            id          TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            spec_yaml   TEXT NOT NULL,
            created_at  BIGINT NOT NULL
        );
        CREATE TABLE trials (
            ord              BIGINT GENERATED ALWAYS AS IDENTITY,
            id               TEXT PRIMARY KEY,
            sweep_id         TEXT NOT NULL REFERENCES sweeps (id),
            spec_json        TEXT NOT NULL,
            status           TEXT NOT NULL CHECK (status IN ('Pending', 'Running', 'Completed', 'Failed', 'Cancelled')),
            lease_owner      TEXT,
            lease_epoch      BIGINT NOT NULL DEFAULT 0,
            lease_expires_at BIGINT,
            attempts         INTEGER NOT NULL DEFAULT 0,
            updated_at       BIGINT NOT NULL
        );
        CREATE INDEX trials_by_sweep_status ON trials (sweep_id, status, ord);
        """,
        """
        CREATE TABLE nodes (
            id             TEXT PRIMARY KEY,
            host           TEXT NOT NULL,
            pid            INTEGER NOT NULL,
            roles          TEXT NOT NULL,
            slots          INTEGER NOT NULL,
            busy           INTEGER NOT NULL DEFAULT 0,
            started_at     BIGINT NOT NULL,
            last_heartbeat BIGINT NOT NULL,
            status         TEXT NOT NULL CHECK (status IN ('Up', 'Unreachable', 'Down', 'Left')),
            draining       BOOLEAN NOT NULL DEFAULT FALSE
        );
        CREATE TABLE sweep_controls (
            sweep_id   TEXT PRIMARY KEY REFERENCES sweeps (id),
            cancelled  BOOLEAN NOT NULL DEFAULT FALSE,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE leader (
            id      INTEGER PRIMARY KEY CHECK (id = 1),
            node_id TEXT NOT NULL,
            host    TEXT NOT NULL,
            pid     INTEGER NOT NULL,
            since   BIGINT NOT NULL,
            term    BIGINT NOT NULL
        );
        """,
        """
        CREATE TABLE artifacts (
            trial_id   TEXT NOT NULL,
            name       TEXT NOT NULL,
            sha256     TEXT NOT NULL,
            content    BYTEA NOT NULL,
            PRIMARY KEY (trial_id, name)
        );
        """,
    ];

    /// <summary>The old store's SQLite time text (fixed-width UTC, full tick precision).</summary>
    public static string SqliteTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>A SQLite file written with the old schema, as the old store left it (WAL mode, versions recorded).</summary>
internal sealed class SqliteLegacyDatabase : LegacyDatabase
{
    private readonly string _path;
    private readonly SqliteStoreOptions _options;

    private SqliteLegacyDatabase(string path, SqliteStoreOptions options)
    {
        _path = path;
        _options = options;
    }

    public override int LegacyVersion => LegacySchema.SqliteVersion;

    public override int LatestVersion => SqliteSchema.Migrations[^1].Version;

    public static async Task<SqliteLegacyDatabase> CreateAsync(string path, SweepRecord sweep, IReadOnlyList<LegacyTrial> trials, bool cancelled,
        SqliteStoreOptions? options = null)
    {
        var db = new SqliteLegacyDatabase(path, options ?? new SqliteStoreOptions());
        await using var conn = await db.OpenRawAsync();
        await ExecAsync(conn, null, "PRAGMA journal_mode = WAL;");
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync();
        await ExecAsync(conn, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);");
        for (var i = 0; i < LegacySchema.Sqlite.Count; i++)
        {
            await ExecAsync(conn, tx, LegacySchema.Sqlite[i]);
            await ExecAsync(conn, tx, "INSERT INTO schema_version (version, applied_at) VALUES ($v, $t);",
                ("$v", i + 1), ("$t", LegacySchema.SqliteTime(sweep.CreatedAt)));
        }
        await ExecAsync(conn, tx, "INSERT INTO sweeps (id, name, spec_yaml, created_at) VALUES ($id, $name, $spec, $created);",
            ("$id", sweep.Id.Value), ("$name", sweep.Name), ("$spec", sweep.SpecYaml), ("$created", LegacySchema.SqliteTime(sweep.CreatedAt)));
        foreach (var t in trials)
        {
            await ExecAsync(conn, tx,
                """
                INSERT INTO trials (id, sweep_id, spec_json, status, lease_owner, lease_epoch, lease_expires_at, attempts, updated_at)
                VALUES ($id, $sweep, $spec, $status, $owner, $epoch, $expires, $attempts, $updated);
                """,
                ("$id", t.Id), ("$sweep", t.SweepId), ("$spec", t.SpecJson), ("$status", t.Status), ("$owner", t.LeaseOwner),
                ("$epoch", t.LeaseEpoch), ("$expires", t.LeaseExpiresAt is { } e ? LegacySchema.SqliteTime(e) : null),
                ("$attempts", t.Attempts), ("$updated", LegacySchema.SqliteTime(t.UpdatedAt)));
        }
        await ExecAsync(conn, tx, "INSERT INTO sweep_controls (sweep_id, cancelled, updated_at) VALUES ($s, $c, $t);",
            ("$s", sweep.Id.Value), ("$c", cancelled ? 1 : 0), ("$t", LegacySchema.SqliteTime(sweep.CreatedAt)));
        await ExecAsync(conn, tx,
            """
            INSERT INTO nodes (id, host, pid, roles, slots, busy, started_at, last_heartbeat, status, draining)
            VALUES ('n1', 'box', 42, 'worker', 2, 1, $t, $t, 'Up', 0);
            INSERT INTO leader (id, node_id, host, pid, since, term) VALUES (1, 'n1', 'box', 42, $t, 3);
            """, ("$t", LegacySchema.SqliteTime(sweep.CreatedAt)));
        await tx.CommitAsync();
        return db;
    }

    public override async Task<ISweepCatalogue> OpenStoreAsync() => await SqliteCatalogue.OpenAsync(_path, _options);

    public override async Task<IReadOnlyList<string>> TablesAsync() =>
        await QueryAsync("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;", r => r.GetString(0));

    public override async Task<IReadOnlyList<string>> ColumnsAsync(string table) =>
        await QueryAsync("SELECT name FROM pragma_table_info($t) ORDER BY cid;", r => r.GetString(0), ("$t", table));

    public override async Task<IReadOnlyList<long>> SchemaVersionsAsync() =>
        await QueryAsync("SELECT version FROM schema_version ORDER BY version;", r => r.GetInt64(0));

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask; // the test's temp directory goes with the file

    private async Task<SqliteConnection> OpenRawAsync()
    {
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        await conn.OpenAsync();
        return conn;
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] args)
    {
        await using var conn = await OpenRawAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<T>();
        while (await r.ReadAsync()) list.Add(map(r));
        return list;
    }

    private static async Task ExecAsync(SqliteConnection conn, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>A PostgreSQL database (of its own, dropped on dispose) written with the old schema, with one checkpoint blob.</summary>
internal sealed class PostgresLegacyDatabase : LegacyDatabase
{
    private readonly string _url;

    private PostgresLegacyDatabase(string url) => _url = url;

    public string Url => _url;

    public override int LegacyVersion => LegacySchema.PostgresVersion;

    public override int LatestVersion => PostgresSchema.Migrations[^1].Version;

    public static async Task<PostgresLegacyDatabase> CreateAsync(SweepRecord sweep, IReadOnlyList<LegacyTrial> trials, bool cancelled)
    {
        var db = new PostgresLegacyDatabase(await Orchestrator.Testing.PostgresTestServer.CreateDatabaseAsync("legacy"));
        await using var conn = await db.OpenRawAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await ExecAsync(conn, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);");
        for (var i = 0; i < LegacySchema.Postgres.Count; i++)
        {
            await ExecAsync(conn, tx, LegacySchema.Postgres[i]);
            await ExecAsync(conn, tx, "INSERT INTO schema_version (version, applied_at) VALUES (@v, @t);", ("v", i + 1), ("t", sweep.CreatedAt.UtcTicks));
        }
        await ExecAsync(conn, tx, "INSERT INTO sweeps (id, name, spec_yaml, created_at) VALUES (@id, @name, @spec, @created);",
            ("id", sweep.Id.Value), ("name", sweep.Name), ("spec", sweep.SpecYaml), ("created", sweep.CreatedAt.UtcTicks));
        foreach (var t in trials)
        {
            await ExecAsync(conn, tx,
                """
                INSERT INTO trials (id, sweep_id, spec_json, status, lease_owner, lease_epoch, lease_expires_at, attempts, updated_at)
                VALUES (@id, @sweep, @spec, @status, @owner, @epoch, @expires, @attempts, @updated);
                """,
                ("id", t.Id), ("sweep", t.SweepId), ("spec", t.SpecJson), ("status", t.Status), ("owner", t.LeaseOwner),
                ("epoch", t.LeaseEpoch), ("expires", t.LeaseExpiresAt?.UtcTicks), ("attempts", t.Attempts), ("updated", t.UpdatedAt.UtcTicks));
        }
        await ExecAsync(conn, tx, "INSERT INTO sweep_controls (sweep_id, cancelled, updated_at) VALUES (@s, @c, @t);",
            ("s", sweep.Id.Value), ("c", cancelled), ("t", sweep.CreatedAt.UtcTicks));
        await ExecAsync(conn, tx,
            """
            INSERT INTO nodes (id, host, pid, roles, slots, busy, started_at, last_heartbeat, status, draining)
            VALUES ('n1', 'box', 42, 'worker', 2, 1, @t, @t, 'Up', FALSE);
            INSERT INTO leader (id, node_id, host, pid, since, term) VALUES (1, 'n1', 'box', 42, @t, 3);
            INSERT INTO artifacts (trial_id, name, sha256, content) VALUES ('legacy-trial', 'last.pt', 'sha-legacy', '\x0102'::bytea);
            """, ("t", sweep.CreatedAt.UtcTicks));
        await tx.CommitAsync();
        return db;
    }

    public override async Task<ISweepCatalogue> OpenStoreAsync() => await StoreFactory.OpenAsync(_url);

    public override async Task<IReadOnlyList<string>> TablesAsync() =>
        await QueryAsync("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1;", r => r.GetString(0));

    public override async Task<IReadOnlyList<string>> ColumnsAsync(string table) =>
        await QueryAsync("SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @t ORDER BY ordinal_position;",
            r => r.GetString(0), ("t", table));

    public override async Task<IReadOnlyList<long>> SchemaVersionsAsync() =>
        await QueryAsync("SELECT version::bigint FROM schema_version ORDER BY version;", r => r.GetInt64(0));

    public override async ValueTask DisposeAsync() => await Orchestrator.Testing.PostgresTestServer.DropDatabaseAsync(_url);

    private async Task<NpgsqlConnection> OpenRawAsync()
    {
        var conn = new NpgsqlConnection(PostgresTarget.Parse(_url).ConnectionString() + ";Pooling=false");
        await conn.OpenAsync();
        return conn;
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args)
    {
        await using var conn = await OpenRawAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<T>();
        while (await r.ReadAsync()) list.Add(map(r));
        return list;
    }

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, params (string Name, object? Value)[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync();
    }
}
