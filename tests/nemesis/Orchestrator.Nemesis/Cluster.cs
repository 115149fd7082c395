using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Nemesis;

/// <summary>
/// A real cluster on loopback, as tests/Orchestrator.Cli.Tests/ClusterRig.cs builds one: a throw-away PostgreSQL
/// (scripts/pg-test-server.sh), two coordinator nodes and three workers, all `dotnet orchestrator.dll` processes sharing
/// one working directory (the dataset and the artifacts folder, as a shared mount would), trials on the sleeping TEST
/// engine, failure detection sized for a test. Every node has both coordinators as its seeds, so that any node (a
/// coordinator included) restarted with the same command joins whatever is left of the cluster. With a
/// <see cref="NetworkLab"/> every node runs in a network namespace of its own, so that a partition can cut it off.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public const double EpochSeconds = 0.7;
    public const double StableAfterSeconds = 3;
    public const double HeartbeatPauseSeconds = 2;
    public static readonly TimeSpan Up = TimeSpan.FromSeconds(120);

    private readonly List<CliProcess> _all = [];
    private readonly Action<string> _say;
    /// <summary>Whether the working directory (logs, journals' database, artifacts) stays after the run.</summary>
    public bool Keep { get; set; }

    private Cluster(string dir, PgServer pg, string storeUrl, string scripts, Action<string> say, bool keep, NetworkLab? lab)
    {
        Lab = lab;
        Dir = dir;
        Pg = pg;
        StoreUrl = storeUrl;
        Scripts = scripts;
        _say = say;
        Keep = keep;
        Artifacts = Path.Combine(dir, "artifacts");
        EpochLogs = Path.Combine(dir, "epoch-logs");
        Logs = Path.Combine(dir, "process-logs");
        Directory.CreateDirectory(Artifacts);
        Directory.CreateDirectory(EpochLogs);
        Directory.CreateDirectory(Logs);
        // Should the harness itself be ended (SIGTERM, Ctrl+C), its processes go with it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
        // The control key every node checks and every command of the harness signs with (docs/security.md, "Control key").
        ControlKey = ControlKeyFile.Create(dir);
        AkkaConfig = Path.Combine(dir, "akka-test.conf");
        File.WriteAllText(AkkaConfig, FormattableString.Invariant($"""
            akka.cluster.failure-detector.acceptable-heartbeat-pause = {HeartbeatPauseSeconds}s
            akka.cluster.split-brain-resolver.stable-after = {StableAfterSeconds}s
            akka.cluster.singleton.hand-over-retry-interval = 500ms
            # Cluster membership at INFO in each node's log file (the terminal still shows warnings only): a
            # violation's replay then shows who asked to join, who answered, and who downed whom.
            akka.loglevel = INFO
            """));
    }

    public string Dir { get; }
    /// <summary>The cluster's own PostgreSQL (scripts/pg-test-server.sh), its data in the working directory.</summary>
    public PgServer Pg { get; }
    public string StoreUrl { get; }
    public string Scripts { get; }
    public string Artifacts { get; }
    public string EpochLogs { get; }
    public string Logs { get; }
    public string AkkaConfig { get; }
    public string ControlKey { get; }
    public NetworkLab? Lab { get; }

    /// <summary>The address the harness's own commands bind to, for the nodes' answers.</summary>
    public string ClientHost => Lab?.RootAddress ?? "127.0.0.1";
    public List<Node> Nodes { get; } = [];
    public string Seeds => string.Join(",", Nodes.Where(n => n.Role == "coordinator").Select(n => $"{n.Host}:{n.Port}"));

    /// <summary>Every process started, nodes and one-shot commands alike.</summary>
    public IReadOnlyList<CliProcess> AllProcesses => _all;

    /// <summary>When the last partition was healed (UTC), if any.</summary>
    public DateTime? LastHeal { get; set; }

    /// <summary>SIGSTOP windows (pid, from, to; Unix ms): a frozen process trains nothing meanwhile.</summary>
    public List<(int Pid, long From, long To)> Frozen { get; } = [];

    public static string FindScripts()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "pg-test-server.sh"))) return Path.Combine(dir.FullName, "scripts");
        throw new HarnessException($"scripts/pg-test-server.sh not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The test engine's script for every process: scripted losses (`sleep`), or losses that depend on each
    /// trial's configuration (`curve`, which pruning sweeps need to have something to decide).</summary>
    public string EngineScript { get; private set; } = FormattableString.Invariant($"sleep:{EpochSeconds}");

    public static async Task<Cluster> StartAsync(Action<string> say, bool keep, int slots, bool netns = false, bool curve = false)
    {
        var scripts = FindScripts();
        var dir = Path.Combine(Path.GetTempPath(), "orch-nemesis-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var pgDir = Path.Combine(dir, "pg");
        // Lab members, in the order of their addresses: c1 .2, c2 .3, w1 .4, w2 .5, w3 .6 (the harness .1).
        string[] members = ["c1", "c2", "w1", "w2", "w3"];
        var lab = netns ? await NetworkLab.UpAsync(scripts, members) : null;
        Dictionary<string, string>? listen = lab is null ? null : new() { ["PG_LISTEN"] = $"127.0.0.1,{lab.RootAddress}" };
        PgServer pg;
        try
        {
            pg = await Harnessed(() => PgServer.StartAsync(pgDir, listen));
        }
        catch
        {
            if (lab is not null) await lab.DisposeAsync();
            throw;
        }
        var url = pg.Url;
        if (lab is not null) url = url.Replace("@127.0.0.1:", $"@{lab.RootAddress}:", StringComparison.Ordinal);
        say($"PostgreSQL at {url}; working directory {dir}" + (lab is null ? "" : $"; nodes in network namespaces {lab.Prefix}-*"));
        var cluster = new Cluster(dir, pg, url, scripts, say, keep, lab);
        if (curve) cluster.EngineScript = FormattableString.Invariant($"curve:{EpochSeconds}");
        try
        {
            Node Make(int i, string name, string role, params string[] args)
            {
                var port = Processes.FreePort();
                var host = lab?.AddressOf(members[i]) ?? "127.0.0.1";
                return new Node(name, role, host, port, [.. args, "--host", host, "--port", port.ToString(CultureInfo.InvariantCulture)], lab?.NamespaceOf(members[i]), members[i]);
            }
            cluster.Nodes.Add(Make(0, "coordinator-1", "coordinator", "coordinator"));
            cluster.Nodes.Add(Make(1, "coordinator-2", "coordinator", "coordinator"));
            for (var i = 1; i <= 3; i++)
                cluster.Nodes.Add(Make(i + 1, $"worker-{i}", "worker", "worker", "--slots", slots.ToString(CultureInfo.InvariantCulture)));
            var first = cluster.StartNode(cluster.Nodes[0]);
            await first.WaitForOutputAsync("coordinator on .*: recovered", Up, "the first coordinator's recovery");
            foreach (var node in cluster.Nodes.Skip(1))
            {
                var p = cluster.StartNode(node);
                await p.WaitForOutputAsync(@"node akka\.tcp://\S+ is up", Up, $"{node.Name} up");
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private int _commands;

    /// <summary>Starts `dotnet orchestrator.dll ARGS`, in <paramref name="netns"/> when given (else the harness's namespace).</summary>
    public CliProcess Start(string name, string[] args, string? netns = null)
    {
        var info = new ProcessStartInfo(netns is null ? "dotnet" : "ip")
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (netns is not null)
            foreach (var a in new[] { "netns", "exec", netns, "dotnet" }) info.ArgumentList.Add(a); // ip execs dotnet: one pid
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "orchestrator.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("ORCHESTRATOR_TEST_PG");
        info.Environment["ORCHESTRATOR_STORE"] = StoreUrl;
        info.Environment["ORCHESTRATOR_ARTIFACTS"] = Artifacts;
        info.Environment["ORCHESTRATOR_ENGINE_PLUGIN"] = Path.Combine(AppContext.BaseDirectory, "Orchestrator.TestEngine.dll");
        info.Environment["ORCHESTRATOR_TEST_ENGINE"] = EngineScript;
        info.Environment["ORCHESTRATOR_TEST_ENGINE_EPOCH_LOG"] = EpochLogs;
        info.Environment["ORCHESTRATOR_AKKA_CONFIG"] = AkkaConfig;
        info.Environment["ORCHESTRATOR_SEEDS"] = Seeds;
        info.Environment["ORCHESTRATOR_CONTROL_KEY_FILE"] = ControlKey;
        var log = Path.Combine(Logs, $"{Interlocked.Increment(ref _commands):D3}-{Safe(name)}.log");
        var process = new CliProcess(info, name, log);
        lock (_all) _all.Add(process);
        return process;
    }

    private static string Safe(string name) => new(name.Select(c => char.IsLetterOrDigit(c) || c == '-' ? c : '_').Take(40).ToArray());

    public CliProcess StartNode(Node node)
    {
        node.ExitExpected = false;
        var p = Start(node.Name, node.Args, node.Namespace);
        node.Lives.Add(p);
        _say($"  started {node.Name} (pid {p.Pid})");
        return p;
    }

    /// <summary>Runs a one-shot CLI command that asks the cluster to its end (bounded).</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var p = Start(string.Join(' ', args), [.. args, "--host", ClientHost]);
        if (!await p.WaitForExitAsync(timeout))
        {
            p.Kill9();
            throw new HarnessException($"`orchestrator {string.Join(' ', args)}` ran past {timeout.TotalSeconds:F0} s: {p.Tail()}");
        }
        return (p.Process.ExitCode, p.Output);
    }

    /// <summary>Runs a CLI command until it exits 0, retrying while the cluster does not answer; throws, naming the
    /// command, when it never does within <paramref name="timeout"/>.</summary>
    public async Task<string> RunUntilOkAsync(TimeSpan timeout, params string[] args)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (code, output) = await RunAsync(TimeSpan.FromSeconds(90), args);
            if (code == 0) return output;
            if (DateTime.UtcNow > deadline)
                throw new HarnessException($"`orchestrator {string.Join(' ', args)}` never exited 0 within {timeout.TotalSeconds:F0} s; last exit {code}: {Tail(output)}");
            await Task.Delay(2000);
        }
    }

    public static string Tail(string output, int n = 6) =>
        string.Join(" / ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(n).Select(l => l.Trim()));

    public Task<string> PgRestartAsync() => Harnessed(Pg.RestartAsync);

    /// <summary>Runs a script to its end (bounded); its stdout. A failure is the harness's (<see cref="HarnessException"/>).</summary>
    public static Task<string> ShellAsync(string file, string[] args, TimeSpan timeout, string what, IReadOnlyDictionary<string, string>? environment = null) =>
        Harnessed(() => RepoScripts.RunAsync(file, args, timeout, what, environment));

    private static async Task<T> Harnessed<T>(Func<Task<T>> script)
    {
        try
        {
            return await script();
        }
        catch (ScriptFailedException ex)
        {
            throw new HarnessException(ex.Message);
        }
    }

    /// <summary>The members `cluster show --json` lists: address -> (status, reachable); null when no answer.</summary>
    public async Task<Dictionary<string, (string Status, bool Reachable)>?> MembersAsync()
    {
        var (code, output) = await RunAsync(TimeSpan.FromSeconds(60), "cluster", "show", "--json");
        if (code != 0) return null;
        try
        {
            var start = output.IndexOf('{');
            using var doc = JsonDocument.Parse(output[start..]);
            var members = new Dictionary<string, (string, bool)>();
            foreach (var m in doc.RootElement.GetProperty("members").EnumerateArray())
                members[m.GetProperty("address").GetString()!] = (m.GetProperty("status").GetString()!, m.GetProperty("reachable").GetBoolean());
            return members;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or ArgumentOutOfRangeException or InvalidOperationException)
        {
            throw new HarnessException($"`cluster show --json` printed what the harness cannot read: {Tail(output)} ({ex.Message})");
        }
    }

    /// <summary>Trial rows of every sweep in the store.</summary>
    public async Task<List<(SweepRecord Sweep, TrialRecord Trial)>> TrialsAsync()
    {
        await using var store = await StoreFactory.OpenAsync(StoreUrl);
        var all = new List<(SweepRecord, TrialRecord)>();
        foreach (var sweep in await store.ListSweepsAsync())
        foreach (var trial in await store.ListTrialsAsync(sweep.Id))
            all.Add((sweep, trial));
        return all;
    }

    private void KillAll()
    {
        List<CliProcess> all;
        lock (_all) all = [.. _all];
        foreach (var p in all)
        {
            try
            {
                if (!p.HasExited) p.Process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        }
        Lab?.TearDownNow();
    }

    public async ValueTask DisposeAsync()
    {
        List<CliProcess> all;
        lock (_all) all = [.. _all];
        foreach (var p in all)
        {
            p.Dispose(); // SIGKILL, a frozen one too
        }
        try
        {
            await Harnessed(Pg.StopAsync);
        }
        catch (HarnessException ex)
        {
            _say($"warning: {ex.Message}");
        }
        if (Lab is not null)
        {
            try
            {
                await Lab.DisposeAsync();
            }
            catch (HarnessException ex)
            {
                _say($"warning: {ex.Message}");
            }
        }
        if (Keep)
        {
            _say($"kept {Dir}");
            return;
        }
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _say($"warning: {Dir} not removed: {ex.Message}");
        }
    }
}
