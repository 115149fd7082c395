using System.Diagnostics;

namespace Orchestrator.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built `orchestrator` as a user would, in a working directory of the test's own.</summary>
public static class Cli
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");

    public static Process Start(string workDir, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("ORCHESTRATOR_STORE");
        return Process.Start(info)!;
    }

    public static async Task<CliResult> RunAsync(string workDir, TimeSpan timeout, params string[] args)
    {
        using var process = Start(workDir, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"orchestrator {string.Join(' ', args)} ran past {timeout}: {await stdout}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "orch-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
