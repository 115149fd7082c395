using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Testing;

/// <summary>What a process printed and how it ended; <see cref="TimedOut"/>: it ran past its time and was killed (its
/// output up to then is kept, <see cref="ExitCode"/> is then -1).</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, bool TimedOut = false);

/// <summary>Running a process to its end and reading what it printed, as the tests and the nemesis do.</summary>
public static class Processes
{
    /// <summary>A start that redirects stdout and stderr, with <paramref name="args"/> passed one by one (no shell).</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return info;
    }

    /// <summary>Starts <paramref name="info"/> (which must redirect stdout and stderr) and waits for its end; past
    /// <paramref name="timeout"/> the process and its children are killed and the result says so.</summary>
    public static async Task<ProcessResult> RunAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return new ProcessResult(-1, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), TimedOut: true);
        }
        return new ProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>A TCP port free on loopback just now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A script of the repository's scripts/ that failed: exited non-zero, or ran past its time.</summary>
public sealed class ScriptFailedException(string message) : InvalidOperationException(message);

/// <summary>The repository's scripts/ as the tests run them: one call, stdout back, stderr in the error.</summary>
public static class RepoScripts
{
    /// <summary>scripts/<paramref name="name"/> in the first folder above the test's output that has it.</summary>
    public static string PathOf(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", name))) return Path.Combine(dir.FullName, "scripts", name);
        throw new InvalidOperationException($"scripts/{name} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs <paramref name="file"/> to its end; its stdout.</summary>
    /// <exception cref="ScriptFailedException">It exited non-zero (the message has its stderr).</exception>
    public static string Run(string file, params string[] args) =>
        RunAsync(file, args, Timeout.InfiniteTimeSpan, $"{Path.GetFileName(file)} {string.Join(' ', args)}").GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="file"/> to its end, within <paramref name="timeout"/>; its stdout.</summary>
    /// <param name="what">What the failure's message calls it.</param>
    /// <exception cref="ScriptFailedException">It exited non-zero (the message has its stderr) or ran past its time.</exception>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, string what,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await Processes.RunAsync(Processes.StartInfo(file, args, environment), timeout).ConfigureAwait(false);
        if (result.TimedOut) throw new ScriptFailedException($"{what}: ran past {timeout.TotalSeconds:F0} s");
        if (result.ExitCode != 0) throw new ScriptFailedException($"{what}: exit {result.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }
}
