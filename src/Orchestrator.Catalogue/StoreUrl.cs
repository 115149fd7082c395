using Orchestrator.Catalogue.Postgres;
using Orchestrator.Catalogue.Sqlite;

namespace Orchestrator.Catalogue;

public enum StoreKind { Sqlite, Postgres }

/// <summary>Where a store lives. <c>DatabasePath</c> is the SQLite file (absolute), or the PostgreSQL URL without
/// secrets; <c>ArtifactRoot</c> is the directory that holds the store's artifacts (checkpoints); for PostgreSQL,
/// <c>Postgres</c> names the server. With <c>CheckpointsInStore</c> checkpoint files are also kept in the database
/// and <c>ArtifactRoot</c> is only a local cache (for boxes without a shared filesystem).</summary>
public sealed record StoreLocation(StoreKind Kind, string DatabasePath, string ArtifactRoot, PostgresTarget? Postgres = null,
    bool CheckpointsInStore = false);

/// <summary>Parses store URLs: <c>sqlite:PATH</c> (PATH relative to the current directory) or
/// <c>postgres://user@host:port/db</c>.</summary>
public static class StoreUrl
{
    public const string SqliteScheme = "sqlite:";

    /// <summary>Where checkpoints go with a PostgreSQL store: a directory every box mounts (default
    /// <c>.orchestrator/artifacts</c> under the current directory).</summary>
    public const string ArtifactsVariable = "ORCHESTRATOR_ARTIFACTS";

    /// <summary>"database": checkpoints are kept in the PostgreSQL store too, for boxes that share no filesystem.</summary>
    public const string CheckpointsVariable = "ORCHESTRATOR_CHECKPOINTS";

    /// <exception cref="FormatException">The URL is not one this build can open; the message says why.</exception>
    public static StoreLocation Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var u = url.Trim();
        if (u.StartsWith(SqliteScheme, StringComparison.OrdinalIgnoreCase))
        {
            var path = u[SqliteScheme.Length..];
            if (path.Length == 0)
            {
                throw new FormatException($"store URL '{url}': expected sqlite:PATH, the path is empty");
            }
            string full;
            try
            {
                full = Path.GetFullPath(path);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
            {
                throw new FormatException($"store URL '{url}': '{path}' is not a valid path ({ex.Message})", ex);
            }
            var dir = Path.GetDirectoryName(full) ?? Path.GetPathRoot(full) ?? full;
            if (CheckpointsInDatabase())
                throw new FormatException($"${CheckpointsVariable}=database needs a PostgreSQL store; a SQLite store keeps checkpoints next to its file");
            return new StoreLocation(StoreKind.Sqlite, full, ArtifactRootOverride() ?? Path.Combine(dir, "artifacts"));
        }
        if (u.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            var target = PostgresTarget.Parse(u);
            return new StoreLocation(StoreKind.Postgres, target.Display,
                ArtifactRootOverride() ?? Path.GetFullPath(Path.Combine(".orchestrator", "artifacts")), target, CheckpointsInDatabase());
        }
        throw new FormatException($"store URL '{PostgresTarget.Redact(url)}': unknown scheme, expected sqlite:PATH or postgres://user@host:port/db");
    }

    private static bool CheckpointsInDatabase() => Environment.GetEnvironmentVariable(CheckpointsVariable) switch
    {
        null or "" or "files" => false,
        "database" => true,
        var other => throw new FormatException($"${CheckpointsVariable}='{other}': expected files (the default) or database"),
    };

    private static string? ArtifactRootOverride() =>
        Environment.GetEnvironmentVariable(ArtifactsVariable) is { Length: > 0 } dir ? Path.GetFullPath(dir) : null;
}

/// <summary>Opens the store a URL names.</summary>
public static class StoreFactory
{
    /// <exception cref="FormatException">The URL is not one this build can open.</exception>
    public static Task<ISweepCatalogue> OpenAsync(string url, CancellationToken ct = default) =>
        OpenAsync(StoreUrl.Parse(url), ct);

    public static async Task<ISweepCatalogue> OpenAsync(StoreLocation location, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Kind switch
        {
            StoreKind.Sqlite => await OpenSqliteAsync(location.DatabasePath, ct).ConfigureAwait(false),
            StoreKind.Postgres => await PostgresCatalogue.OpenAsync(location.Postgres!, ct).ConfigureAwait(false),
            _ => throw new NotSupportedException($"store kind {location.Kind}"),
        };
    }

    private static async Task<ISweepCatalogue> OpenSqliteAsync(string path, CancellationToken ct)
    {
        try
        {
            return await SqliteCatalogue.OpenAsync(path, ct).ConfigureAwait(false);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex) when (ex.SqliteErrorCode is SqliteNotADatabase or SqliteCannotOpen)
        {
            // Nothing has been written: the first statement (setting the journal mode) is where SQLite notices.
            throw new FormatException(ex.SqliteErrorCode == SqliteNotADatabase
                ? $"store sqlite:{path}: the file is not a SQLite database; it was left untouched (pass another --store)"
                : $"store sqlite:{path}: cannot be opened as a database file (a folder, or no permission to write there)");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new FormatException($"store sqlite:{path}: cannot be created ({ex.Message})");
        }
    }

    private const int SqliteCannotOpen = 14;
    private const int SqliteNotADatabase = 26;
}
