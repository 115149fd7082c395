using System.Diagnostics;
using Npgsql;
using Orchestrator.Store.Postgres;
using Orchestrator.Tests.Shared;

namespace Orchestrator.Cli.Tests;

/// <summary>A PostgreSQL server of a test's own, through scripts/pg-test-server.sh (loopback, temp directory).</summary>
public sealed class PgServer
{
    private PgServer(string dir, string url)
    {
        Dir = dir;
        Url = url;
    }

    public string Dir { get; }
    public string Url { get; }

    public static PgServer Start()
    {
        if (PostgresTestServer.Url is null) throw new InvalidOperationException(PostgresTestServer.SkipReason);
        var dir = Path.Combine(Path.GetTempPath(), "orch-pg-" + Guid.NewGuid().ToString("N")[..8]);
        return new PgServer(dir, Script("start", dir).Trim());
    }

    public void Restart() => Script("restart", Dir);

    public void Stop()
    {
        Script("stop", Dir);
        try { Directory.Delete(Dir, recursive: true); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }

    public async Task CreateDatabaseAsync(string name)
    {
        await using var conn = new NpgsqlConnection(PostgresTarget.Parse(Url).ConnectionString() + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static string Script(string action, string dir) => RepoScripts.Run(RepoScripts.PathOf("pg-test-server.sh"), action, dir);
}

/// <summary>The repository's scripts/ as the tests run them: one call, stdout back, stderr in the error.</summary>
public static class RepoScripts
{
    public static string PathOf(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", name))) return Path.Combine(dir.FullName, "scripts", name);
        throw new InvalidOperationException($"scripts/{name} not found above {AppContext.BaseDirectory}");
    }

    public static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)}: {stderr}");
        return stdout.Result;
    }
}
