using System.Diagnostics;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built `orchestrator` as a user would, in a working directory of the test's own.</summary>
public static class Cli
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "orchestrator.dll");

    public static Process Start(string workDir, params string[] args) => Process.Start(StartInfo(workDir, args))!;

    public static Task<CliResult> RunAsync(string workDir, TimeSpan timeout, params string[] args) =>
        RunAsync(workDir, timeout, new Dictionary<string, string>(), args);

    /// <summary>With these environment variables set for the process.</summary>
    public static async Task<CliResult> RunAsync(string workDir, TimeSpan timeout, IReadOnlyDictionary<string, string> environment,
        params string[] args)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var info = StartInfo(workDir, args);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var result = await Processes.RunAsync(info, timeout);
        if (result.TimedOut) throw new TimeoutException($"orchestrator {string.Join(' ', args)} ran past {timeout}: {result.Stdout}");
        return new CliResult(result.ExitCode, result.Stdout, result.Stderr);
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "orch-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static ProcessStartInfo StartInfo(string workDir, string[] args)
    {
        var info = Processes.StartInfo("dotnet", [Dll, .. args]);
        info.WorkingDirectory = workDir;
        info.Environment.Remove("ORCHESTRATOR_STORE");
        return info;
    }
}
