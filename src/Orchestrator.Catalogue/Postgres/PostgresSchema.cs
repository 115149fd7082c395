namespace Orchestrator.Catalogue.Postgres;

/// <summary>The schema, as ordered migration steps, each run once per database inside one transaction that holds
/// <see cref="MigrationLock"/>, so processes starting together apply it once. Times are stored as UTC ticks
/// (bigint): timestamptz keeps microseconds only and the store contract round-trips full tick precision.</summary>
internal static class PostgresSchema
{
    /// <summary>Advisory lock key (any fixed bigint; this spells "orchmig" in ASCII).</summary>
    public const long MigrationLock = 0x6F7263686D6967;

    public static readonly IReadOnlyList<(int Version, string Sql)> Migrations =
    [
        (1, """
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
            """),
        (2, """
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
            """),
        (3, """
            CREATE TABLE artifacts (
                trial_id   TEXT NOT NULL,
                name       TEXT NOT NULL,
                sha256     TEXT NOT NULL,
                content    BYTEA NOT NULL,
                PRIMARY KEY (trial_id, name)
            );
            """),
        // The cluster's membership, leases and leader moved to Akka.Cluster; the trial row keeps the coordinator's view.
        (4, """
            DROP TABLE IF EXISTS nodes;
            DROP TABLE IF EXISTS leader;
            ALTER TABLE trials RENAME COLUMN lease_owner TO assigned_to;
            ALTER TABLE trials DROP COLUMN lease_epoch;
            ALTER TABLE trials DROP COLUMN lease_expires_at;
            """),
        // Where the process that holds the coordinator lease (an advisory lock) can be joined.
        (5, """
            CREATE TABLE coordinator_holder (
                id      INTEGER PRIMARY KEY CHECK (id = 1),
                address TEXT NOT NULL,
                pid     INTEGER NOT NULL,
                host    TEXT NOT NULL,
                since   BIGINT NOT NULL
            );
            """),
        // A trial may end diverged.
        (6, """
            ALTER TABLE trials DROP CONSTRAINT trials_status_check;
            ALTER TABLE trials ADD CONSTRAINT trials_status_check
                CHECK (status IN ('Pending', 'Running', 'Completed', 'Failed', 'Cancelled', 'Diverged'));
            """),
        // A trial may end pruned (a sweep's successive halving stopped it).
        (7, """
            ALTER TABLE trials DROP CONSTRAINT trials_status_check;
            ALTER TABLE trials ADD CONSTRAINT trials_status_check
                CHECK (status IN ('Pending', 'Running', 'Completed', 'Failed', 'Cancelled', 'Diverged', 'Pruned'));
            """),
    ];
}
