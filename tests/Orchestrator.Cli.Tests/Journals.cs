using Microsoft.Data.Sqlite;
using Npgsql;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;

namespace Orchestrator.Cli.Tests;

/// <summary>What the tests read of the trial journals a CLI process wrote: through the read journal, as the product
/// does, or with plain SQL on the journal table (which is also how a user can read it).</summary>
public static class Journals
{
    public static async Task<IReadOnlyList<JournaledEvent>> ReadAsync(string storeUrl, string trialId)
    {
        await using var host = JournalReaderHost.Start(StoreUrl.Parse(storeUrl));
        return await host.Journal.ReadAsync(trialId);
    }

    /// <summary>Runs `orchestrator sweep run spec.yaml --workers 1` in <paramref name="dir"/> until the store has
    /// journaled <paramref name="epochs"/> epochs, lets it go <paramref name="into"/> the next one's batches, kills it with
    /// SIGKILL (no cleanup runs), then runs the same command again: it must resume after the last journaled epoch.</summary>
    public static async Task KillMidEpochThenResumeAsync(string dir, string storeUrl, int epochs, TimeSpan into, TimeSpan timeout)
    {
        string[] args = ["sweep", "run", "spec.yaml", "--workers", "1"];
        using (var process = Cli.Start(dir, args))
        {
            var deadline = DateTime.UtcNow + timeout;
            while (await EpochsAsync(storeUrl) < epochs)
            {
                process.HasExited.Should().BeFalse("the sweep must still be running when it is killed");
                DateTime.UtcNow.Should().BeBefore(deadline);
                await Task.Delay(100);
            }
            await Task.Delay(into);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var epochsBefore = await EpochsAsync(storeUrl);

        var second = await Cli.RunAsync(dir, timeout, args);
        second.ExitCode.Should().Be(0, second.Stderr + second.Stdout);
        second.Stdout.Should().Contain($"resuming after epoch {epochsBefore}");
    }

    /// <summary>Epochs journaled so far over every trial (superseded ones included); 0 before the journal exists.</summary>
    public static async Task<int> EpochsAsync(string storeUrl)
    {
        const string sql = "SELECT COUNT(*) FROM journal WHERE manifest LIKE 'EpochCompleted.%'";
        var location = StoreUrl.Parse(storeUrl);
        try
        {
            if (location.Kind == StoreKind.Sqlite)
            {
                if (!File.Exists(location.DatabasePath)) return 0;
                await using var conn = new SqliteConnection($"Data Source={location.DatabasePath};Mode=ReadOnly");
                await conn.OpenAsync();
                await using var cmd = new SqliteCommand(sql, conn);
                return Convert.ToInt32(await cmd.ExecuteScalarAsync());
            }
            await using var pg = new NpgsqlConnection(location.Postgres!.ConnectionString());
            await pg.OpenAsync();
            await using var query = new NpgsqlCommand(sql, pg);
            return Convert.ToInt32(await query.ExecuteScalarAsync());
        }
        // The journal table is created with the first write; while the writer creates it, SQLite may also answer
        // SQLITE_SCHEMA (17: the schema changed under the statement), as the suite saw on 2026-12-06.
        catch (Exception ex) when (ex is SqliteException { SqliteErrorCode: 1 or 17 } or PostgresException { SqlState: PostgresErrorCodes.UndefinedTable })
        {
            return 0;
        }
    }
}
