using Orchestrator.Store.Sqlite;

namespace Orchestrator.Store;

public enum StoreKind { Sqlite }

/// <summary>Where a store lives. <c>DatabasePath</c> is the SQLite file (absolute); <c>ArtifactRoot</c> is the
/// directory that holds the store's artifacts (checkpoints).</summary>
public sealed record StoreLocation(StoreKind Kind, string DatabasePath, string ArtifactRoot);

/// <summary>Parses store URLs. Supported: <c>sqlite:PATH</c>, PATH relative to the current directory.</summary>
public static class StoreUrl
{
    public const string SqliteScheme = "sqlite:";

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
            return new StoreLocation(StoreKind.Sqlite, full, Path.Combine(dir, "artifacts"));
        }
        if (u.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"store URL '{url}': PostgreSQL store is not available in this build yet");
        }
        throw new FormatException($"store URL '{url}': unknown scheme, expected sqlite:PATH");
    }
}

/// <summary>Opens the store a URL names.</summary>
public static class StoreFactory
{
    /// <exception cref="FormatException">The URL is not one this build can open.</exception>
    public static Task<IOrchestratorStore> OpenAsync(string url, CancellationToken ct = default) =>
        OpenAsync(StoreUrl.Parse(url), ct);

    public static async Task<IOrchestratorStore> OpenAsync(StoreLocation location, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Kind switch
        {
            StoreKind.Sqlite => await SqliteStore.OpenAsync(location.DatabasePath, ct).ConfigureAwait(false),
            _ => throw new NotSupportedException($"store kind {location.Kind}"),
        };
    }
}
