using Npgsql;
using Orchestrator.Catalogue.Postgres;

namespace Orchestrator.Testing;

/// <summary>A PostgreSQL server of a test's own (or of the nemesis), through scripts/pg-test-server.sh: loopback unless
/// the environment says otherwise (PG_LISTEN), its data in <see cref="Dir"/>. Tests that only need a database use the
/// shared server of <see cref="PostgresTestServer"/> instead.</summary>
public sealed class PgServer
{
    private static readonly TimeSpan StartTime = TimeSpan.FromSeconds(120);

    private PgServer(string dir, string url)
    {
        Dir = dir;
        Url = url;
    }

    public string Dir { get; }
    public string Url { get; }

    /// <summary>A server in a new temp folder, for a test that restarts its server; needs the test server to be configured
    /// (<see cref="PostgresTestServer.Url"/>), as the PostgreSQL tests' gate.</summary>
    public static PgServer Start()
    {
        if (PostgresTestServer.Url is null) throw new InvalidOperationException(PostgresTestServer.SkipReason);
        var dir = Path.Combine(Path.GetTempPath(), "orch-pg-" + Guid.NewGuid().ToString("N")[..8]);
        return StartAsync(dir).GetAwaiter().GetResult();
    }

    /// <summary>A server with its data in <paramref name="dir"/>.</summary>
    /// <param name="environment">For the script, e.g. PG_LISTEN (the addresses it listens on besides loopback).</param>
    /// <exception cref="ScriptFailedException">The server did not start within two minutes, or printed no URL.</exception>
    public static async Task<PgServer> StartAsync(string dir, IReadOnlyDictionary<string, string>? environment = null)
    {
        var url = (await Script(["start", dir], StartTime, "PostgreSQL start", environment).ConfigureAwait(false)).Trim();
        if (!url.StartsWith("postgres://", StringComparison.Ordinal))
            throw new ScriptFailedException($"pg-test-server.sh start printed no store URL: {url}");
        return new PgServer(dir, url);
    }

    public void Restart() => RestartAsync().GetAwaiter().GetResult();

    public Task<string> RestartAsync() => Script(["restart", Dir], StartTime, "PostgreSQL restart");

    /// <summary>Stops the server and deletes its folder.</summary>
    public void Stop()
    {
        StopAsync().GetAwaiter().GetResult();
        try { Directory.Delete(Dir, recursive: true); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Stops the server; its folder stays.</summary>
    public Task<string> StopAsync() => Script(["stop", Dir], TimeSpan.FromSeconds(90), "PostgreSQL stop");

    public async Task CreateDatabaseAsync(string name)
    {
        await using var conn = new NpgsqlConnection(PostgresTarget.Parse(Url).ConnectionString() + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static Task<string> Script(string[] args, TimeSpan timeout, string what, IReadOnlyDictionary<string, string>? environment = null) =>
        RepoScripts.RunAsync(RepoScripts.PathOf("pg-test-server.sh"), args, timeout, what, environment);
}
