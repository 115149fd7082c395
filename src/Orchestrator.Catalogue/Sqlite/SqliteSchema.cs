namespace Orchestrator.Catalogue.Sqlite;

/// <summary>The schema, as ordered migration steps. Each step is idempotent and runs once per database,
/// recorded in <c>schema_version</c>.</summary>
internal static class SqliteSchema
{
    public static readonly IReadOnlyList<(int Version, string Sql)> Migrations =
    [
        (1, """
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
            """),
        (2, """
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
            """),
        // The cluster's membership, leases and leader moved to Akka.Cluster; the trial row keeps the coordinator's view.
        (3, """
            DROP TABLE IF EXISTS nodes;
            DROP TABLE IF EXISTS leader;
            ALTER TABLE trials RENAME COLUMN lease_owner TO assigned_to;
            ALTER TABLE trials DROP COLUMN lease_epoch;
            ALTER TABLE trials DROP COLUMN lease_expires_at;
            """),
        // A trial may end diverged. SQLite cannot change a CHECK in place: the table is rebuilt, keeping each row's
        // rowid (rows of a sweep are listed in that order).
        (4, """
            CREATE TABLE trials_v4 (
                id          TEXT PRIMARY KEY,
                sweep_id    TEXT NOT NULL REFERENCES sweeps (id),
                spec_json   TEXT NOT NULL,
                status      TEXT NOT NULL CHECK (status IN ('Pending', 'Running', 'Completed', 'Failed', 'Cancelled', 'Diverged')),
                assigned_to TEXT,
                attempts    INTEGER NOT NULL DEFAULT 0,
                updated_at  TEXT NOT NULL
            );
            INSERT INTO trials_v4 (rowid, id, sweep_id, spec_json, status, assigned_to, attempts, updated_at)
                SELECT rowid, id, sweep_id, spec_json, status, assigned_to, attempts, updated_at FROM trials;
            DROP TABLE trials;
            ALTER TABLE trials_v4 RENAME TO trials;
            CREATE INDEX IF NOT EXISTS trials_by_sweep_status ON trials (sweep_id, status);
            """),
        // A trial may end pruned (a sweep's successive halving stopped it): the table is rebuilt again.
        (5, """
            CREATE TABLE trials_v5 (
                id          TEXT PRIMARY KEY,
                sweep_id    TEXT NOT NULL REFERENCES sweeps (id),
                spec_json   TEXT NOT NULL,
                status      TEXT NOT NULL CHECK (status IN ('Pending', 'Running', 'Completed', 'Failed', 'Cancelled', 'Diverged', 'Pruned')),
                assigned_to TEXT,
                attempts    INTEGER NOT NULL DEFAULT 0,
                updated_at  TEXT NOT NULL
            );
            INSERT INTO trials_v5 (rowid, id, sweep_id, spec_json, status, assigned_to, attempts, updated_at)
                SELECT rowid, id, sweep_id, spec_json, status, assigned_to, attempts, updated_at FROM trials;
            DROP TABLE trials;
            ALTER TABLE trials_v5 RENAME TO trials;
            CREATE INDEX IF NOT EXISTS trials_by_sweep_status ON trials (sweep_id, status);
            """),
    ];
}
