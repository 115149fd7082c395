using Npgsql;
using Xunit;

namespace Orchestrator.Testing;

/// <summary>
/// The real PostgreSQL server the tests run against: scripts/test.sh starts one on loopback and passes its URL
/// (a superuser on the maintenance database, trust authentication) in <see cref="UrlVariable"/>. Tests that
/// restart a server start one of their own. Without it, PostgreSQL tests are skipped with <see cref="SkipReason"/>,
/// never passed.
/// </summary>
public static class PostgresTestServer
{
    public const string UrlVariable = "ORCHESTRATOR_TEST_PG";

    public static string? Url => Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } u ? u : null;

    public static string SkipReason =>
        $"SKIPPED: no PostgreSQL server for tests (${UrlVariable} is not set); scripts/test.sh starts one, " +
        $"or run scripts/pg-test-server.sh start DIR and export {UrlVariable}=<the URL it prints>";

    /// <summary>A new, empty database on the test server; returns its URL. Drop it with <see cref="DropDatabaseAsync"/>.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var server = Url ?? throw new InvalidOperationException(SkipReason);
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 1 + 20, 60)].ToLowerInvariant();
        await using var admin = await OpenAdminAsync(server);
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", admin);
        await cmd.ExecuteNonQueryAsync();
        var builder = new UriBuilder(server) { Path = "/" + name };
        return builder.Uri.ToString().TrimEnd('/');
    }

    public static async Task DropDatabaseAsync(string databaseUrl)
    {
        var server = Url ?? throw new InvalidOperationException(SkipReason);
        var name = new Uri(databaseUrl).AbsolutePath.TrimStart('/');
        await using var admin = await OpenAdminAsync(server);
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE);", admin);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlConnection> OpenAdminAsync(string url)
    {
        var target = Orchestrator.Catalogue.Postgres.PostgresTarget.Parse(url);
        var conn = new NpgsqlConnection(target.ConnectionString() + ";Pooling=false");
        await conn.OpenAsync();
        return conn;
    }
}

/// <summary>Marks a test class whose tests need the PostgreSQL test server.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresPostgresAttribute : Attribute;

/// <summary>A fact that is skipped, with the reason shown, when no PostgreSQL test server is configured.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public override string? Skip
    {
        get => PostgresTestServer.Url is null ? PostgresTestServer.SkipReason : base.Skip;
        set => base.Skip = value;
    }
}

