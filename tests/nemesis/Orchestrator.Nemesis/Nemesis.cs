using System.Diagnostics;
using System.Globalization;

namespace Orchestrator.Nemesis;

public enum FaultKind
{
    KillWorker,
    KillCoordinator,
    Freeze,
    PostgresRestart,
    SecondSweepRun,
    ClusterLeave,
    ClusterDown,
    CancelResume,
    /// <summary>One node cut off from the others and the database, then plugged back in (with --netns only).</summary>
    Partition,
}

/// <param name="Kinds">The kinds of fault the schedule draws from (null: all that the run can apply).</param>
/// <param name="Netns">Every node in a network namespace of its own (root only), so that partitions can be drawn.</param>
/// <param name="Pruning">The sweeps are searches with successive halving and replicates, on the test engine's
/// configuration-dependent curves (issue 28): their decisions are checked against those of a run without faults.</param>
public sealed record Options(int Rounds, int Seed, string? Out, bool Keep = false, int Slots = 1, IReadOnlyList<FaultKind>? Kinds = null,
    bool Netns = false, bool Pruning = false);

/// <summary>One fault of the schedule, all its choices drawn up front from the seed.</summary>
public sealed record Fault(int Round, FaultKind Kind, int Target, double DelaySeconds, double HoldSeconds)
{
    public override string ToString() => FormattableString.Invariant($"round {Round}: {Kind} (target {Target}, after {DelaySeconds:F1} s, held {HoldSeconds:F1} s)");
}

/// <summary>
/// The nemesis: starts the cluster, launches sweeps, applies one fault per round from a schedule drawn from the seed,
/// heals (restarts what the fault took down, with the same command), lets the cluster settle until every trial has
/// ended, then checks the invariants (<see cref="Checker"/>). The schedule replays from the seed; the interleaving with
/// the processes' own timing does not (they run on real clocks).
/// </summary>
public sealed class NemesisRun(Options options, Action<string> say)
{
    /// <summary>Without <paramref name="netns"/> a partition cannot be applied and is never drawn (a seed's schedule on
    /// loopback is what it was before partitions existed).</summary>
    public static IReadOnlyList<Fault> Schedule(int rounds, int seed, IReadOnlyList<FaultKind>? only = null, bool netns = false)
    {
        var random = new Random(seed);
        var kinds = only is { Count: > 0 } ? only.ToArray() : Enum.GetValues<FaultKind>().Where(k => netns || k != FaultKind.Partition).ToArray();
        if (!netns && kinds.Contains(FaultKind.Partition)) throw new ArgumentException("a partition needs --netns", nameof(only));
        return Enumerable.Range(1, rounds).Select(r => new Fault(r, kinds[random.Next(kinds.Length)], random.Next(1000),
            2 + random.NextDouble() * 4, random.NextDouble())).ToList();
    }

    private Cluster _cluster = null!;
    private int _sweeps;
    private readonly List<string> _sweepNames = [];
    private readonly Report _report = new();

    public async Task<Report> RunAsync()
    {
        var watch = Stopwatch.StartNew();
        _report.Seed = options.Seed;
        _report.Rounds = options.Rounds;
        _report.Only = (options.Kinds is { Count: > 0 } k ? $" --faults {string.Join(',', k)}" : "") + (options.Netns ? " --netns" : "") +
                       (options.Pruning ? " --pruning" : "");
        var schedule = Schedule(options.Rounds, options.Seed, options.Kinds, options.Netns);
        foreach (var f in schedule) say($"scheduled: {f}");
        try
        {
            _cluster = await Cluster.StartAsync(say, options.Keep, options.Slots, options.Netns, curve: options.Pruning);
        }
        catch (HarnessException ex)
        {
            _report.HarnessErrors.Add($"cluster start: {ex.Message}");
            _report.WallTime = watch.Elapsed;
            return _report;
        }
        await using (_cluster)
        {
            try
            {
                await LaunchAsync(3);
                foreach (var fault in schedule)
                {
                    // Work for the fault to hit: two trials per worker, the first a few epochs in when it lands (with one per worker
                    // they had mostly ended by then: launching takes seconds on a loaded box).
                    if (fault.Kind != FaultKind.SecondSweepRun) await LaunchAsync(6);
                    await Task.Delay(TimeSpan.FromSeconds(fault.DelaySeconds));
                    say($"{DateTimeOffset.UtcNow:HH:mm:ss} {fault}");
                    await ApplyAsync(fault);
                    _report.Faults[fault.Kind] = _report.Faults.GetValueOrDefault(fault.Kind) + 1;
                    await HealAsync($"after round {fault.Round}");
                }
                await SettleAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Whatever went wrong, the checker still runs on what is there, and the processes are ended below.
                _report.HarnessErrors.Add(ex is HarnessException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}");
                say($"harness error: {ex}");
            }
            try
            {
                await new Checker(_cluster, _report, say).CheckAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _report.HarnessErrors.Add($"checker: {ex.GetType().Name}: {ex.Message}");
                say($"checker error: {ex}");
            }
            // A failure is read in the processes' logs: they stay (the folder is named as the run ends).
            if (_report.Failed) _cluster.Keep = true;
        }
        _report.WallTime = watch.Elapsed;
        return _report;
    }

    private static string Spec(string name, int seeds, string data = "data") => $$"""
        name: {{name}}
        data: { path: {{data}}, synthesize: { images: 140, size: 16, seed: 2 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        seeds: [{{string.Join(", ", Enumerable.Range(1, seeds))}}]
        inputSize: 16
        batchSize: 16
        hyperparameters: { patience: [1], step: [2], decay: [0.1], epochs: [8] }
        """;

    /// <summary>A search of <see cref="PruningConfigurations"/> learning rates in each of two cells (dynamic, fixed
    /// top-n), halved at epochs 1 and 3 of 9, whose choices then run again with two fresh seeds: 18 trials at launch,
    /// 4 more once the cells' searches end. The search's seed is the default, from the name: each sweep its own rates.</summary>
    private static string PruningSpec(string name) => $$"""
        name: {{name}}
        data: { path: data, synthesize: { images: 140, size: 16, seed: 2 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic, fixed-top-n]
        inputSize: 16
        batchSize: 16
        search: { kind: sobol, trials: {{PruningConfigurations}} }
        pruning: { kind: asha, reduction: 3, minEpochs: 1 }
        replicates: 2
        hyperparameters:
          learningRate: { logUniform: [1e-5, 1e-2] }
          patience: [3]
          epochs: [9]
        """;

    private const int PruningConfigurations = 9;

    private async Task LaunchAsync(int trials)
    {
        var name = $"nemesis-{++_sweeps}";
        var file = Path.Combine(_cluster.Dir, $"{name}.yaml");
        if (options.Pruning) trials = 2 * PruningConfigurations;
        await File.WriteAllTextAsync(file, options.Pruning ? PruningSpec(name) : Spec(name, trials));
        var output = await _cluster.RunUntilOkAsync(TimeSpan.FromSeconds(120), "sweep", "launch", file);
        if (!output.Contains($"{trials} trial(s), {trials} new", StringComparison.Ordinal))
            _report.Note($"launch of {name} said: {Cluster.Tail(output, 2)}");
        _sweepNames.Add(name);
        say($"  launched {name} ({trials} trials)");
    }

    private Node Pick(IEnumerable<Node> nodes, int target)
    {
        var list = nodes.ToList();
        return list[target % list.Count];
    }

    private IEnumerable<Node> Workers => _cluster.Nodes.Where(n => n.Role == "worker");
    private IEnumerable<Node> Coordinators => _cluster.Nodes.Where(n => n.Role == "coordinator");

    private async Task ApplyAsync(Fault fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.KillWorker:
            case FaultKind.KillCoordinator:
            {
                var node = Pick(fault.Kind == FaultKind.KillWorker ? Workers : Coordinators, fault.Target);
                node.ExitExpected = true;
                node.Current!.Kill9();
                say($"  kill -9 {node.Name} (pid {node.Current.Pid})");
                await Task.Delay(TimeSpan.FromSeconds(1 + fault.HoldSeconds * 8)); // restarted after a while
                break;
            }
            case FaultKind.Freeze:
            {
                var node = Pick(_cluster.Nodes, fault.Target);
                var p = node.Current!;
                // Past the resolver: heartbeats stop for the pause, then stable-after, plus a margin.
                var hold = Cluster.HeartbeatPauseSeconds + Cluster.StableAfterSeconds + 3 + fault.HoldSeconds * 4;
                var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                node.ExitExpected = true; // downed while frozen, it exits 1 once thawed
                p.Signal("STOP");
                say(FormattableString.Invariant($"  SIGSTOP {node.Name} (pid {p.Pid}) for {hold:F1} s"));
                await Task.Delay(TimeSpan.FromSeconds(hold));
                p.Signal("CONT");
                lock (_cluster.Frozen) _cluster.Frozen.Add((p.Pid, from, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                var exited = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
                say(exited ? $"  {node.Name} exited {p.Process.ExitCode} after SIGCONT" : $"  {node.Name} still runs after SIGCONT");
                if (exited && p.Process.ExitCode != 1)
                    _report.Note($"round {fault.Round}: {node.Name} frozen then thawed exited {p.Process.ExitCode} (1 expected): {p.Tail(3)}");
                if (!exited) node.ExitExpected = false;
                break;
            }
            case FaultKind.PostgresRestart:
                await _cluster.PgRestartAsync();
                say("  PostgreSQL restarted");
                break;
            case FaultKind.SecondSweepRun:
            {
                var name = $"nemesis-{++_sweeps}-run";
                var file = Path.Combine(_cluster.Dir, $"{name}.yaml");
                await File.WriteAllTextAsync(file, Spec(name, 3, $"data-{name}"));
                _sweepNames.Add(name);
                using var run = _cluster.Start($"sweep run {name}", ["sweep", "run", file, "--workers", "1", "--host", _cluster.ClientHost]);
                say($"  `sweep run {name}.yaml --workers 1` (pid {run.Pid})");
                if (!await run.WaitForExitAsync(TimeSpan.FromMinutes(5)))
                {
                    _report.Violate("second sweep run joins and completes", $"seed {options.Seed} round {fault.Round}: `sweep run {name}` still ran after 5 min: {run.Tail()}");
                    run.Kill9();
                    break;
                }
                var output = run.Output;
                if (run.Process.ExitCode != 0 || !output.Contains("3 of 3 trial(s) completed", StringComparison.Ordinal))
                    _report.Violate("second sweep run joins and completes", $"seed {options.Seed} round {fault.Round}: `sweep run {name}` exited {run.Process.ExitCode}: {run.Tail()}");
                else if (!output.Contains("joining its cluster", StringComparison.Ordinal))
                    _report.Violate("second sweep run joins and completes", $"seed {options.Seed} round {fault.Round}: `sweep run {name}` completed without joining the running cluster: {run.Tail()}");
                else
                {
                    _report.Count("second sweep run joins and completes");
                    say($"  {name} joined the cluster and completed");
                }
                break;
            }
            case FaultKind.ClusterLeave:
            case FaultKind.ClusterDown:
            {
                var node = Pick(Workers, fault.Target);
                var verb = fault.Kind == FaultKind.ClusterLeave ? "leave" : "down";
                node.ExitExpected = true;
                var output = await _cluster.RunUntilOkAsync(TimeSpan.FromSeconds(60), "cluster", verb, node.Address);
                say($"  cluster {verb} {node.Name}: {Cluster.Tail(output, 1)}");
                var p = node.Current!;
                if (!await p.WaitForExitAsync(TimeSpan.FromSeconds(90)))
                    _report.Violate("processes exited or healthy", $"seed {options.Seed} round {fault.Round}: {node.Name} told `cluster {verb}` still ran after 90 s: {p.Tail(3)}");
                else if (fault.Kind == FaultKind.ClusterLeave && p.Process.ExitCode != 0)
                    _report.Violate("processes exited or healthy", $"seed {options.Seed} round {fault.Round}: {node.Name} told to leave exited {p.Process.ExitCode}, not 0: {p.Tail(3)}");
                else say($"  {node.Name} exited {p.Process.ExitCode}");
                break;
            }
            case FaultKind.CancelResume:
            {
                // The sweep launched for this round: its trials are a few epochs in (an ended sweep would test little).
                var name = _sweepNames[^1];
                var cancel = await _cluster.RunUntilOkAsync(TimeSpan.FromSeconds(90), "sweep", "cancel", name);
                say($"  sweep cancel {name}: {Cluster.Tail(cancel, 1)}");
                await Task.Delay(TimeSpan.FromSeconds(1 + fault.HoldSeconds * 4));
                var resume = await _cluster.RunUntilOkAsync(TimeSpan.FromSeconds(90), "sweep", "resume", name);
                say($"  sweep resume {name}: {Cluster.Tail(resume, 1)}");
                break;
            }
            case FaultKind.Partition:
            {
                var node = Pick(_cluster.Nodes, fault.Target);
                var lab = _cluster.Lab ?? throw new HarnessException("a partition without a network lab (--netns)");
                var p = node.Current!;
                // From a blip the failure detector forgives to well past the resolver's stable-after.
                var hold = 1 + fault.HoldSeconds * (Cluster.HeartbeatPauseSeconds + Cluster.StableAfterSeconds + 6);
                node.ExitExpected = true; // cut off long enough, it downs itself and exits 1
                await lab.CutAsync(node.LabName);
                say(FormattableString.Invariant($"  cut {node.Name} off (pid {p.Pid}) for {hold:F1} s"));
                await Task.Delay(TimeSpan.FromSeconds(hold));
                await lab.HealAsync(node.LabName);
                _cluster.LastHeal = DateTime.UtcNow;
                var exited = await ExitedOrBackAsync(node, p, fault.Round);
                say(exited ? $"  {node.Name} exited {p.Process.ExitCode} after the heal" : $"  {node.Name} is up and reachable again");
                if (exited && p.Process.ExitCode != 1)
                    _report.Note($"round {fault.Round}: {node.Name} cut off then plugged back in exited {p.Process.ExitCode} (1 expected): {p.Tail(3)}");
                if (!exited) node.ExitExpected = false;
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault.Kind, null);
        }
    }

    /// <summary>After a partition heals, a node either exits (downed) or is an up and reachable member again, seen so
    /// twice in a row: a node that does neither within a minute is a zombie (a violation). True when it exited.</summary>
    private async Task<bool> ExitedOrBackAsync(Node node, CliProcess p, int round)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var seen = 0;
        while (DateTime.UtcNow < deadline)
        {
            if (await p.WaitForExitAsync(TimeSpan.FromSeconds(2))) return true;
            var members = await _cluster.MembersAsync();
            seen = members is not null && members.TryGetValue(node.Address, out var m) && m.Status == "up" && m.Reachable ? seen + 1 : 0;
            if (seen == 2) return false;
        }
        _report.Violate("processes exited or healthy",
            $"seed {options.Seed} round {round}: {node.Name} (pid {p.Pid}), cut off then plugged back in, neither exited nor was an up and reachable member within 60 s: {p.Tail(3)}");
        return false;
    }

    /// <summary>Every node the fault took down is started again with its command; an exit the harness did not cause is
    /// recorded (and healed too).</summary>
    private async Task HealAsync(string when)
    {
        foreach (var node in _cluster.Nodes)
        {
            var p = node.Current!;
            if (!p.HasExited) continue;
            if (!node.ExitExpected && node.DownedAfterPartition(_cluster.LastHeal, TimeSpan.FromSeconds(90)))
                say($"  {node.Name} was downed after its partition healed; exited {p.Process.ExitCode}");
            else if (!node.ExitExpected)
                _report.UnpromptedExits.Add($"{when}: {node.Name} (pid {p.Pid}) exited {p.Process.ExitCode} unprompted: {p.Tail(3)}");
            var again = _cluster.StartNode(node);
            await again.WaitForOutputAsync(@"node akka\.tcp://\S+ is up", Cluster.Up, $"{node.Name} up again {when}");
        }
    }

    /// <summary>Waits (bounded) until every trial of every sweep has ended, healing nodes that exit meanwhile.</summary>
    private async Task SettleAsync()
    {
        var trials = (await _cluster.TrialsAsync()).Count;
        var timeout = TimeSpan.FromSeconds(180 + 15 * trials);
        say($"settling: waiting up to {timeout.TotalSeconds:F0} s for {trials} trial(s) of {_sweepNames.Count} sweep(s) to end");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await HealAsync("while settling");
            var rows = await _cluster.TrialsAsync();
            var open = rows.Where(r => r.Trial.Status is not (Orchestrator.Domain.Trials.TrialStatus.Completed or Orchestrator.Domain.Trials.TrialStatus.Failed
                or Orchestrator.Domain.Trials.TrialStatus.Pruned)).ToList();
            if (open.Count == 0)
            {
                _report.Count("every trial ended once the faults stopped", rows.Count);
                break;
            }
            if (DateTime.UtcNow > deadline)
            {
                foreach (var (sweep, trial) in open.Take(5))
                    _report.Violate("every trial ended once the faults stopped", $"seed {options.Seed}: {sweep.Name}/{trial.Id} still {trial.Status} {timeout.TotalSeconds:F0} s after the last fault");
                return;
            }
            await Task.Delay(1000);
        }
        say($"settled: every trial ended {DateTime.UtcNow - (deadline - timeout):mm\\:ss} after the last fault");
        _report.SettleTime = DateTime.UtcNow - (deadline - timeout);
    }

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
