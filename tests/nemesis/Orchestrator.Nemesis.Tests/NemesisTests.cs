using Orchestrator.Nemesis;
using Xunit.Abstractions;

namespace Orchestrator.Nemesis.Tests;

/// <summary>The nemesis, a few rounds with a fixed seed: a real cluster of processes on loopback (its own PostgreSQL
/// from scripts/pg-test-server.sh), faults from the seed's schedule, then every invariant checked. Minutes long; in the
/// process-test collection so that it never runs beside the other cluster tests on the shared cores.</summary>
[Collection("cluster processes")]
public class NemesisTests(ITestOutputHelper output)
{
    /// <summary>Seed 23, 3 rounds: the schedule is printed first (and in the table); replay it with
    /// `orchestrator-nemesis --rounds 3 --seed 23`.</summary>
    public const int Seed = 23;
    public const int Rounds = 3;

    [PostgresBinariesFact]
    public async Task A_few_seeded_rounds_of_faults_leave_every_invariant_held()
    {
        var report = await new NemesisRun(new Options(Rounds, Seed, null), output.WriteLine).RunAsync();
        var table = report.ToMarkdown();
        output.WriteLine(table);
        report.HarnessErrors.Should().BeEmpty(table);
        report.Violations.Values.SelectMany(v => v).Should().BeEmpty(table);
        report.Faults.Values.Sum().Should().Be(Rounds, table);
    }

    /// <summary>Only freezes (SIGSTOP past the resolver, then SIGCONT): a thawed node trains nothing more beside the
    /// attempt that took its trial over (seed 3 once found 0.14 s of it). Replay: `--rounds 2 --seed 5 --faults Freeze`.</summary>
    [PostgresBinariesFact]
    public async Task A_node_thawed_after_it_was_downed_trains_nothing_beside_the_newer_attempt()
    {
        var report = await new NemesisRun(new Options(2, 5, null, Kinds: [FaultKind.Freeze]), output.WriteLine).RunAsync();
        var table = report.ToMarkdown();
        output.WriteLine(table);
        report.HarnessErrors.Should().BeEmpty(table);
        report.Violations.Values.SelectMany(v => v).Should().BeEmpty(table);
        report.Faults.Should().Equal(new Dictionary<FaultKind, int> { [FaultKind.Freeze] = 2 }, table);
    }

    /// <summary>Issue 28: pruning sweeps (successive halving and replicates on the curve engine) through a worker's
    /// kill -9 and a cancel and resume: every cell makes the decisions it makes without faults (the cancel once
    /// retired a sweep, which came back without its ladders). Replay: `--rounds 2 --seed 3 --faults KillWorker,CancelResume --pruning`.</summary>
    [PostgresBinariesFact]
    public async Task Pruning_sweeps_make_the_decisions_they_make_without_faults()
    {
        var report = await new NemesisRun(new Options(2, 3, null, Kinds: [FaultKind.KillWorker, FaultKind.CancelResume], Pruning: true),
            output.WriteLine).RunAsync();
        var table = report.ToMarkdown();
        output.WriteLine(table);
        report.HarnessErrors.Should().BeEmpty(table);
        report.Violations.Values.SelectMany(v => v).Should().BeEmpty(table);
        report.Checked.GetValueOrDefault("pruning decisions as without faults").Should().BeGreaterThanOrEqualTo(4, table);
    }

    /// <summary>Only partitions, every node in a network namespace: seed 8 cuts worker-3 off for 3.9 s (forgiven),
    /// coordinator-1 for 6.0 s (downed: the singleton moves) and worker-2 for 8.8 s (downed: its trial moves after the
    /// removal margin). Replay: `--rounds 3 --seed 8 --faults Partition --netns`.</summary>
    [NetnsFact]
    public async Task Nodes_cut_off_and_plugged_back_in_leave_every_invariant_held()
    {
        var report = await new NemesisRun(new Options(3, 8, null, Kinds: [FaultKind.Partition], Netns: true), output.WriteLine).RunAsync();
        var table = report.ToMarkdown();
        output.WriteLine(table);
        report.HarnessErrors.Should().BeEmpty(table);
        report.Violations.Values.SelectMany(v => v).Should().BeEmpty(table);
        report.Faults.Should().Equal(new Dictionary<FaultKind, int> { [FaultKind.Partition] = 3 }, table);
    }
}

/// <summary>Skipped, with the reason, unless PostgreSQL server binaries are there and network namespaces can be made.</summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public override string? Skip
    {
        get => new PostgresBinariesFactAttribute().Skip ?? (NetworkLab.Usable(out var why) ? base.Skip : $"SKIPPED: {why}");
        set => base.Skip = value;
    }
}

/// <summary>Skipped, with the reason shown (never passed), without PostgreSQL server binaries for scripts/pg-test-server.sh.</summary>
public sealed class PostgresBinariesFactAttribute : FactAttribute
{
    public override string? Skip
    {
        get => Available() ? base.Skip : "SKIPPED: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/pg_ctl or $PG_BIN) for scripts/pg-test-server.sh";
        set => base.Skip = value;
    }

    private static bool Available() =>
        Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 }
        || (Directory.Exists("/usr/lib/postgresql") && Directory.EnumerateFiles("/usr/lib/postgresql", "pg_ctl", SearchOption.AllDirectories).Any());
}
