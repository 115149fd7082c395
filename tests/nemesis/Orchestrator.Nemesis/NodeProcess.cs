using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Orchestrator.Nemesis;

/// <summary>One `dotnet orchestrator.dll ...` process: its output is collected as it runs (and copied to a log file).</summary>
public sealed class CliProcess : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly StreamWriter _log;

    public CliProcess(ProcessStartInfo info, string name, string logFile)
    {
        Name = name;
        _log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        Process = Process.Start(info) ?? throw new InvalidOperationException($"{name}: the process did not start");
        StartedAt = DateTimeOffset.UtcNow;
        Pid = Process.Id;
        Process.OutputDataReceived += (_, e) => Append(e.Data);
        Process.ErrorDataReceived += (_, e) => Append(e.Data);
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public string Name { get; }
    public Process Process { get; }
    public DateTimeOffset StartedAt { get; }
    public int Pid { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _disposed || Process.HasExited;

    /// <summary>The exit code, once exited (kept after <see cref="Dispose"/>).</summary>
    public int? ExitCode => _exitCode ?? (Process.HasExited ? Process.ExitCode : null);

    private int? _exitCode;

    /// <summary>The last <paramref name="n"/> lines of output, for a report.</summary>
    public string Tail(int n = 6) => string.Join(" / ", Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(n).Select(l => l.Trim()));

    public void Kill9()
    {
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true); // SIGKILL
        }
        catch (InvalidOperationException) { }
        Process.WaitForExit(10_000);
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {Pid}")!;
        kill.WaitForExit(10_000);
    }

    /// <summary>Waits for the process to exit; false when it has not within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
            await Task.Delay(150); // the last output lines
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits until a line matching <paramref name="pattern"/> appears; throws, naming what it waited for.</summary>
    public async Task<Match> WaitForOutputAsync(string pattern, TimeSpan timeout, string what)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var m = regex.Match(Output);
            if (m.Success) return m;
            if (Process.HasExited)
            {
                await Task.Delay(200);
                m = regex.Match(Output);
                if (m.Success) return m;
                throw new HarnessException($"{Name} (pid {Pid}) exited with {Process.ExitCode} while waiting for {what}: {Tail()}");
            }
            if (DateTime.UtcNow > deadline)
                throw new HarnessException($"{Name} (pid {Pid}): {what} not seen within {timeout.TotalSeconds:F0} s (output matching '{pattern}'): {Tail()}");
            await Task.Delay(200);
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            try
            {
                _log.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}");
            }
            catch (ObjectDisposedException) { }
        }
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        Kill9();
        _exitCode = Process.HasExited ? Process.ExitCode : null;
        _disposed = true;
        lock (_output) _log.Dispose();
        Process.Dispose();
    }
}

/// <summary>A failure of the harness itself (a bounded wait that ran out, a command that never succeeded): reported in
/// the table as such, never as a held invariant.</summary>
public sealed class HarnessException(string message) : Exception(message);

/// <summary>A cluster node the harness keeps alive: the same command each time it is (re)started.</summary>
/// <param name="Namespace">Its network namespace, with a <see cref="NetworkLab"/>; null on loopback.</param>
/// <param name="LabName">Its name in the lab, for a partition to cut it off.</param>
public sealed class Node(string name, string role, string host, int port, string[] args, string? @namespace, string labName)
{
    public string Name { get; } = name;
    public string Role { get; } = role;
    public string Host { get; } = host;
    public int Port { get; } = port;
    public string[] Args { get; } = args;
    public string? Namespace { get; } = @namespace;
    public string LabName { get; } = labName;
    public string Address => $"akka.tcp://orchestrator@{Host}:{Port}";

    /// <summary>Every process this node has been, oldest first.</summary>
    public List<CliProcess> Lives { get; } = [];
    public CliProcess? Current => Lives.Count == 0 ? null : Lives[^1];

    /// <summary>Set when the harness made the current process exit (kill -9, leave, down, frozen past the resolver).</summary>
    public bool ExitExpected { get; set; }

    /// <summary>The current process exited as a node the cluster removed, within <paramref name="within"/> of the heal of a
    /// partition: a decision taken while the network was split (on this node, or on a node that saw this one only
    /// through others: the resolver downs indirectly connected nodes) may reach it once the network is whole again.</summary>
    public bool DownedAfterPartition(DateTime? lastHeal, TimeSpan within) =>
        lastHeal is { } healed && DateTime.UtcNow - healed < within && Current!.Output.Contains("this node was removed from the cluster", StringComparison.Ordinal);
}
