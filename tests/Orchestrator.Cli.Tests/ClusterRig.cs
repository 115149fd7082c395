using System.Diagnostics;
using System.Text;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>A CLI process whose output is collected as it runs.</summary>
public sealed class RunningCli : IDisposable
{
    private readonly StringBuilder _output = new();

    public RunningCli(Process process, string name)
    {
        Process = process;
        Name = name;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }
    public string Name { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public void Kill9()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true); // SIGKILL: nothing runs on the way out
        Process.WaitForExit();
    }

    public void Signal(string signal) => Process.Start("kill", $"-{signal} {Process.Id}")!.WaitForExit();

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Kill9();
        Process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}

/// <summary>
/// A cluster of real `orchestrator` processes on one fresh PostgreSQL database of the test server (or a
/// server of the test's own), sharing one working directory (the dataset and the checkpoint directory, as a
/// shared mount would). Trials run on the sleeping TEST engine, so the tests measure the orchestrator.
/// </summary>
public sealed class ClusterRig : IAsyncDisposable
{
    public const double EpochSeconds = 0.7;
    private readonly List<RunningCli> _processes = [];

    private readonly bool _ownsDatabase;

    private ClusterRig(string dir, string storeUrl, bool ownsDatabase)
    {
        Dir = dir;
        StoreUrl = storeUrl;
        _ownsDatabase = ownsDatabase;
        SeedPort = FreePort();
        // Failure detection and the split-brain resolver sized for a test: seconds, not the production 30.
        var overrides = Path.Combine(dir, "akka-test.conf");
        File.WriteAllText(overrides, """
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
            akka.cluster.split-brain-resolver.stable-after = 3s
            akka.cluster.singleton.hand-over-retry-interval = 500ms
            """);
        Environment["ORCHESTRATOR_AKKA_CONFIG"] = overrides;
        Environment["ORCHESTRATOR_SEEDS"] = $"127.0.0.1:{SeedPort}";
        // Every node checks, and every command signs with, the rig's control key (docs/security.md, "Control key").
        KeyFile = ControlKeyFile.Create(dir);
        Environment[ControlKey.FileVariable] = KeyFile;
    }

    /// <summary>The control key file every process of the rig is given (through the environment).</summary>
    public string KeyFile { get; }

    /// <summary>The first coordinator's port: every process of the rig has it as its seed and contact point.</summary>
    public int SeedPort { get; }

    /// <summary>How many members `cluster show` lists (the command must succeed).</summary>
    public async Task<int> MemberCountAsync()
    {
        var show = await RunAsync("cluster", "show", "--json");
        show.ExitCode.Should().Be(0, show.Stdout);
        using var document = System.Text.Json.JsonDocument.Parse(show.Stdout);
        return document.RootElement.GetProperty("members").GetArrayLength();
    }

    public static int FreePort() => Processes.FreePort();

    public string Dir { get; }
    public string StoreUrl { get; }

    /// <summary>patience 1, step 2 over 4 groups: with the engine's scripted losses a trial unfreezes twice
    /// (epochs 4 and 5), improves at 6 and stops at 7.</summary>
    public static string Spec(string name, int seeds) => $$"""
        name: {{name}}
        data: { path: data, synthesize: { images: 140, size: 16, seed: 2 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        seeds: [{{string.Join(", ", Enumerable.Range(1, seeds))}}]
        inputSize: 16
        batchSize: 16
        hyperparameters: { patience: [1], step: [2], decay: [0.1], epochs: [8] }
        """;

    public static async Task<ClusterRig> CreateAsync(string? serverUrl = null)
    {
        var url = serverUrl ?? await PostgresTestServer.CreateDatabaseAsync("clu");
        return new ClusterRig(Cli.TempDir(), url, serverUrl is null);
    }

    /// <summary>Extra environment of the processes started from now on.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>Network namespace of the processes started from now on (null: this one).</summary>
    public string? Namespace { get; set; }

    /// <summary>The same on one SQLite file: a laptop cluster of processes.</summary>
    public static ClusterRig CreateSqlite()
    {
        var dir = Cli.TempDir();
        return new ClusterRig(dir, $"sqlite:{Path.Combine(dir, "store.db")}", false);
    }

    public RunningCli Start(string name, params string[] args)
    {
        var info = new ProcessStartInfo(Namespace is null ? "dotnet" : "ip")
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Namespace is not null)
            foreach (var a in new[] { "netns", "exec", Namespace, "dotnet" }) info.ArgumentList.Add(a);
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "orchestrator.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["ORCHESTRATOR_STORE"] = StoreUrl;
        info.Environment["ORCHESTRATOR_ENGINE_PLUGIN"] = Path.Combine(AppContext.BaseDirectory, "Orchestrator.TestEngine.dll");
        info.Environment["ORCHESTRATOR_TEST_ENGINE"] = FormattableString.Invariant($"sleep:{EpochSeconds}");
        foreach (var (key, value) in Environment) info.Environment[key] = value;
        var running = new RunningCli(Process.Start(info)!, name);
        _processes.Add(running);
        return running;
    }

    public RunningCli Worker(string name, int slots = 1, params string[] more) =>
        Start(name, ["worker", "--slots", slots.ToString(), .. more]);

    /// <summary>A coordinator node: the first on the seed port, later ones on a port of their own (given, or free).</summary>
    public RunningCli Coordinator(string name = "coordinator", int? port = null, params string[] more) =>
        Start(name, ["coordinator", "--port", (port ?? SeedPort).ToString(), .. more]);

    /// <summary>Waits until a line matching <paramref name="pattern"/> appears in the process's output.</summary>
    public async Task WaitForOutputAsync(RunningCli process, string pattern, TimeSpan timeout)
    {
        var regex = new System.Text.RegularExpressions.Regex(pattern);
        var deadline = DateTime.UtcNow + timeout;
        while (!regex.IsMatch(process.Output))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{process.Name}: no output matching '{pattern}' within {timeout}\n{Logs()}");
            await Task.Delay(200);
        }
    }

    public async Task<CliResult> RunAsync(params string[] args)
    {
        using var p = Start(string.Join(' ', args), args);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.Process.WaitForExitAsync(cts.Token);
        await Task.Delay(100); // the last output lines
        return new CliResult(p.Process.ExitCode, p.Output, "");
    }

    public async Task<ISweepCatalogue> OpenStoreAsync() => await StoreFactory.OpenAsync(StoreUrl);

    /// <summary>Polls the store until <paramref name="done"/> holds; fails with every process's output otherwise.</summary>
    public async Task WaitUntilAsync(string what, Func<ISweepCatalogue, Task<bool>> done, TimeSpan timeout)
    {
        await using var store = await OpenStoreAsync();
        var deadline = DateTime.UtcNow + timeout;
        while (!await done(store))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: not reached within {timeout}\n{Logs()}");
            await Task.Delay(200);
        }
    }

    public Task<int> JournaledEpochsAsync() => Journals.EpochsAsync(StoreUrl);

    /// <summary>Whether the sweep's one trial has an epoch journaled by its attempt <paramref name="attempt"/> or a later one.</summary>
    public async Task<bool> EpochJournaledByAttemptAsync(ISweepCatalogue store, int attempt)
    {
        var trial = (await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id)).Single();
        return (await JournalAsync(trial.Id.Value)).Any(e => !e.Superseded && e.Event is EpochCompleted && e.Event.Attempt >= attempt);
    }

    public static async Task<bool> AllCompletedAsync(ISweepCatalogue store)
    {
        var sweeps = await store.ListSweepsAsync();
        if (sweeps.Count == 0) return false;
        foreach (var sweep in sweeps)
            if ((await store.ListTrialsAsync(sweep.Id)).Any(t => t.Status != TrialStatus.Completed))
                return false;
        return true;
    }

    /// <summary>One history per trial: every epoch journaled once and in order, Algorithm 1 obeyed, completed. Returns
    /// the events that count (a superseded attempt's late writes left out).</summary>
    public async Task<IReadOnlyList<TrialEvent>> AssertOneHistoryAsync(string trialId)
    {
        var stored = await JournalAsync(trialId);
        stored.Select(e => e.Seq).Should().Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i));
        var events = stored.Where(e => !e.Superseded).Select(e => e.Event).ToList();
        events.Select(e => e.Attempt).Should().BeInAscendingOrder("a writer whose attempt was superseded never counts again");
        var epochs = events.OfType<EpochCompleted>().Select(e => e.Epoch).ToList();
        epochs.Should().Equal(Enumerable.Range(1, epochs.Count), "each epoch is journaled exactly once, in order");
        TrialAudit.Violations(events).Should().BeEmpty();
        TrialEvolution.Replay(events).Phase.Should().Be(TrialPhase.Completed);
        return events;
    }

    public string Logs() => string.Join("\n", _processes.Select(p => $"---- {p.Name} ----\n{p.Output}"));

    /// <summary>The trial's journal, through one read journal for the rig (its polls would otherwise start an actor
    /// system each).</summary>
    private Task<IReadOnlyList<JournaledEvent>> JournalAsync(string trialId)
    {
        _reader ??= JournalReaderHost.Start(Orchestrator.Catalogue.StoreUrl.Parse(StoreUrl));
        return _reader.Journal.ReadAsync(trialId);
    }

    private JournalReaderHost? _reader;

    public async ValueTask DisposeAsync()
    {
        if (_reader is not null) await _reader.DisposeAsync();
        foreach (var p in _processes) p.Dispose();
        if (_ownsDatabase) await PostgresTestServer.DropDatabaseAsync(StoreUrl);
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
