using System.Globalization;
using System.Security.Cryptography;
using SweepPlan = Orchestrator.Domain.Coordination.SweepPlan;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.TestEngine;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Catalogue;

namespace Orchestrator.Nemesis;

/// <summary>
/// Reads every trial journal (through the product's read journal, as `trial events --all` does) and every file under
/// the artifacts folder, and checks the invariants. The intervals of training come from the test engine's epoch log
/// (ORCHESTRATOR_TEST_ENGINE_EPOCH_LOG: one line per epoch it trained, trial, pid, start, end): the journal only shows
/// epochs that were journaled, not those a superseded or cut-off writer trained without its writes counting, and the
/// engine log sees those too. A process's SIGSTOP windows are cut out of its intervals (a frozen process trains nothing).
/// </summary>
public sealed class Checker(Cluster cluster, Report report, Action<string> say)
{
    private const string Ended = "each trial ended exactly once";
    private const string Linear = "effective histories linear";
    private const string Overlap = "no two attempts of a trial training at once";
    private const string Checkpoints = "checkpoints exist with their SHA-256";
    private const string Orphans = "no orphan files";
    private const string Healthy = "processes exited or healthy";
    private const string Pruning = "pruning decisions as without faults";

    public async Task CheckAsync()
    {
        await CheckProcessesAsync();
        var rows = await cluster.TrialsAsync();
        report.Trials = $"{rows.Count} in {rows.Select(r => r.Sweep.Id).Distinct().Count()} sweep(s): " +
            string.Join(", ", rows.GroupBy(r => r.Trial.Status).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
        var journals = new Dictionary<string, IReadOnlyList<Orchestrator.Runtime.Persistence.JournaledEvent>>();
        await using (var reader = JournalReaderHost.Start(StoreUrl.Parse(cluster.StoreUrl)))
        {
            foreach (var (_, trial) in rows)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                try
                {
                    journals[trial.Id.Value] = await reader.Journal.ReadAsync(trial.Id.Value, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new HarnessException($"reading the journal of {trial.Id} took more than 60 s");
                }
            }
        }
        foreach (var (sweep, trial) in rows) CheckTrial(sweep, trial, journals[trial.Id.Value]);
        foreach (var sweep in rows.GroupBy(r => r.Sweep.Id))
            CheckPruning(sweep.First().Sweep, [.. sweep.Select(r => r.Trial)], journals);
        CheckOrphanFolders(rows.Select(r => r.Trial.Id.Value).ToHashSet());
        CheckOverlaps(rows.Select(r => r.Trial.Id.Value).ToHashSet());
    }

    private void CheckTrial(SweepRecord sweep, TrialRecord trial, IReadOnlyList<Orchestrator.Runtime.Persistence.JournaledEvent> stored)
    {
        var id = $"{sweep.Name}/{trial.Id}";
        var seed = report.Seed;

        // Linear: contiguous sequence numbers, attempts ascending in the effective history, epochs once each in order,
        // the domain's audit empty.
        report.Count(Linear);
        var seqs = stored.Select(e => e.Seq).ToList();
        if (!seqs.SequenceEqual(Enumerable.Range(1, seqs.Count).Select(i => (long)i)))
            report.Violate(Linear, $"seed {seed} {id}: sequence numbers not contiguous from 1: {string.Join(",", seqs.Take(20))}");
        var events = stored.Where(e => !e.Superseded).Select(e => e.Event).ToList();
        var attempts = events.Select(e => e.Attempt).ToList();
        for (var i = 1; i < attempts.Count; i++)
            if (attempts[i] < attempts[i - 1])
            {
                report.Violate(Linear, $"seed {seed} {id}: attempt {attempts[i]} after attempt {attempts[i - 1]} in the effective history (event {i + 1})");
                break;
            }
        var epochs = events.OfType<EpochCompleted>().Select(e => e.Epoch).ToList();
        if (!epochs.SequenceEqual(Enumerable.Range(1, epochs.Count)))
            report.Violate(Linear, $"seed {seed} {id}: effective epochs {string.Join(",", epochs)} (each once, in order, expected)");
        foreach (var v in TrialAudit.Violations(events).Take(2))
            report.Violate(Linear, $"seed {seed} {id}: audit: {v}");

        // Ended exactly once, and as the trial row says.
        report.Count(Ended);
        var ends = events.Count(IsEnd);
        if (ends != 1)
            report.Violate(Ended, $"seed {seed} {id}: {ends} TrialCompleted/TrialFailed/TrialDiverged/TrialPruned in the effective history (row {trial.Status}, {attempts.Distinct().Count()} attempt(s))");
        else if (!IsEnd(events.Last()))
            report.Violate(Ended, $"seed {seed} {id}: events after its end: {events.Last().GetType().Name}");
        else if (TrialEvolution.Replay(events).End?.Status() != trial.Status)
            report.Violate(Ended, $"seed {seed} {id}: journal ends {events.Last().GetType().Name}, row says {trial.Status}");

        // Checkpoints: the product prunes the files of earlier epochs after each journaled epoch (TrialArtifacts.PruneAsync
        // keeps the latest checkpoint, the one before it and the best), so those must exist with the SHA-256 the journal
        // gave; a completed trial keeps only its best weights and its test outputs (TrialArtifacts.RetainCompleted), so
        // those must exist and no resumable checkpoint may be left. Every other named file still there must match too.
        var folder = Path.Combine(cluster.Artifacts, trial.Id.Value);
        var named = events.SelectMany(Named).ToList();
        var state = TrialEvolution.Replay(events);
        var saved = events.OfType<CheckpointSaved>().ToList();
        var retained = new List<(string? Name, string? Sha)> { (state.BestCheckpoint, state.BestSha256) };
        if (state.End?.IsResult() == true)
        {
            retained.Add((state.Result?.TestOutputs?.File, state.Result?.TestOutputs?.Sha256));
            foreach (var resumable in saved.Select(c => c.Checkpoint).Distinct().Where(n => File.Exists(Path.Combine(folder, n))))
            {
                report.Count(Checkpoints);
                report.Violate(Checkpoints, $"seed {seed} {id}: {resumable} (resumable) is still there after the trial ended with its result");
            }
        }
        else
        {
            retained.Add((state.LatestCheckpoint, state.LatestSha256));
            if (saved.Count > 1) retained.Add((saved[^2].Checkpoint, saved[^2].Sha256));
        }
        foreach (var (name, sha) in retained)
        {
            if (name is null) continue;
            report.Count(Checkpoints);
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) report.Violate(Checkpoints, $"seed {seed} {id}: {name} (kept by the journal) is missing");
            else if (Sha(path) != sha) report.Violate(Checkpoints, $"seed {seed} {id}: {name} has SHA-256 {Sha(path)[..12]}.., the journal says {sha?[..Math.Min(12, sha.Length)]}..");
        }
        foreach (var (name, sha) in named.Distinct())
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path) && !retained.Contains((name, sha)))
            {
                report.Count(Checkpoints);
                if (Sha(path) != sha) report.Violate(Checkpoints, $"seed {seed} {id}: {name} has SHA-256 {Sha(path)[..12]}.., the journal says {sha[..Math.Min(12, sha.Length)]}..");
            }
        }

        // Orphans: files in the trial's folder that no event of its journal (superseded ones included) names.
        if (!Directory.Exists(folder)) return;
        var allNamed = stored.Select(e => e.Event).SelectMany(Named).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories))
        {
            report.Count(Orphans);
            var rel = Path.GetRelativePath(folder, file);
            if (!allNamed.Contains(rel))
                report.Violate(Orphans, $"seed {seed} {id}: {rel} ({(File.Exists(file) ? new FileInfo(file).Length + " bytes, written " + File.GetLastWriteTimeUtc(file).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) : "a folder")}) is named by no event of its journal");
        }
    }

    private void CheckOrphanFolders(HashSet<string> trials)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(cluster.Artifacts))
        {
            var name = Path.GetFileName(entry);
            if (name == "reports" || trials.Contains(name)) continue; // reports: `sweep run` writes its sweep's report there
            report.Count(Orphans);
            report.Violate(Orphans, $"seed {report.Seed}: artifacts/{name} belongs to no trial of the store");
        }
    }

    /// <summary>The files an event names: checkpoints, and a completed trial's test outputs.</summary>
    /// <summary>An event that ends the trial (<see cref="TrialState.End"/>).</summary>
    /// <summary>A pruning sweep's searches made the decisions successive halving makes on the scripted curves without
    /// any fault (each trial pruned at its rung's epochs, or trained to the end), and each cell's choice ran again with
    /// every replicate seed, once.</summary>
    private void CheckPruning(SweepRecord sweep, IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<string, IReadOnlyList<Orchestrator.Runtime.Persistence.JournaledEvent>> journals)
    {
        var spec = SweepSpecParser.Parse(sweep.SpecYaml);
        if (spec.Pruning is null) return;
        var planned = SweepGrid.Expand(spec);
        var plan = SweepPlan.Of(spec, planned)!;
        var rows = trials.ToDictionary(t => t.Id);
        var replicates = trials.Where(t => planned.All(p => p.Id != t.Id)).Select(t => (Row: t, Spec: TrialSpecJson.Deserialize(t.SpecJson))).ToList();
        foreach (var cell in plan.Cells)
        {
            report.Count(Pruning);
            var configurations = planned.Where(p => cell.Trials.Contains(p.Id)).ToList();
            var (prunedAt, chosen) = Halving(configurations, cell.Rungs, plan.Reduction);
            foreach (var p in configurations)
            {
                var state = TrialEvolution.Replay(journals[p.Id.Value].Where(e => !e.Superseded).Select(e => e.Event));
                var expected = prunedAt.TryGetValue(p.Id, out var epochs) ? (TrialStatus.Pruned, epochs) : (TrialStatus.Completed, p.Spec.MaxEpochs);
                if ((rows[p.Id].Status, state.EpochsDone) != expected)
                    report.Violate(Pruning, $"seed {report.Seed} {sweep.Name}/{p.Id} ({cell.Name}): {rows[p.Id].Status.ToString().ToLowerInvariant()} after {state.EpochsDone} epoch(s); without faults {expected.Item1.ToString().ToLowerInvariant()} after {expected.Item2}");
            }
            var copies = replicates.Where(r => SweepPlan.CellName(r.Spec) == cell.Name).ToList();
            var seeds = copies.Select(c => c.Spec.Seed).Order().ToList();
            if (!seeds.SequenceEqual(plan.ReplicateSeeds) || copies.Any(c => c.Spec with { Seed = chosen.Spec.Seed } != chosen.Spec || c.Row.Status != TrialStatus.Completed))
                report.Violate(Pruning, $"seed {report.Seed} {sweep.Name} ({cell.Name}): replicates {string.Join(", ", copies.Select(c => $"{c.Row.Id} seed {c.Spec.Seed} lr {c.Spec.LearningRate:G4} {c.Row.Status}"))}; " +
                                        $"expected {chosen.Id} (lr {chosen.Spec.LearningRate:G4}) completed with seeds {string.Join(", ", plan.ReplicateSeeds)}");
        }
    }

    /// <summary>Successive halving of one cell by whole rungs on the test engine's curves (<see cref="ScriptedCurve"/>,
    /// falling at every epoch: a rung's result is its epoch's loss): where each pruned configuration stopped, in epochs,
    /// and the choice (the best survivor at the budget).</summary>
    private static (Dictionary<TrialId, int> PrunedAt, PlannedTrial Chosen) Halving(IReadOnlyList<PlannedTrial> cell, IReadOnlyList<int> rungs, int reduction)
    {
        double Loss(PlannedTrial t, int epoch) => ScriptedCurve.ValidationLoss(t.Spec.Strategy, t.Spec.LearningRate, epoch);
        var cohort = cell.ToList();
        var prunedAt = new Dictionary<TrialId, int>();
        foreach (var rung in rungs)
        {
            var ranked = cohort.OrderBy(t => Loss(t, rung)).ThenBy(t => t.Id.Value, StringComparer.Ordinal).ToList();
            cohort = ranked.Take(Math.Max(1, cohort.Count / reduction)).ToList();
            foreach (var t in ranked.Skip(cohort.Count)) prunedAt[t.Id] = rung;
        }
        var budget = cell.Max(t => t.Spec.MaxEpochs);
        return (prunedAt, cohort.OrderBy(t => Loss(t, budget)).ThenBy(t => t.Id.Value, StringComparer.Ordinal).First());
    }

    private static bool IsEnd(TrialEvent e) => e is TrialCompleted or TrialFailed or TrialDiverged or Orchestrator.Domain.Events.TrialPruned;

    private static IEnumerable<(string Name, string Sha256)> Named(TrialEvent e) => e switch
    {
        CheckpointSaved c => [(c.Checkpoint, c.Sha256)],
        BestImproved b => [(b.Checkpoint, b.Sha256)],
        TrialCompleted { TestOutputs: { } o } => [(o.File, o.Sha256)],
        _ => [],
    };

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private sealed record Interval(string Trial, int Pid, long Start, long End);

    private void CheckOverlaps(HashSet<string> trials)
    {
        var intervals = new List<Interval>();
        foreach (var file in Directory.EnumerateFiles(cluster.EpochLogs, "epochs-*.log"))
        foreach (var line in File.ReadAllLines(file))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4) continue;
            intervals.Add(new Interval(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture),
                long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture)));
        }
        var unknown = intervals.Where(i => !trials.Contains(i.Trial)).Select(i => i.Trial).Distinct().ToList();
        if (unknown.Count > 0) report.Note($"the engine log names {unknown.Count} trial id(s) the store lacks (e.g. {unknown[0]})");
        report.Epochs = $"{intervals.Count} epochs by {intervals.Select(i => i.Pid).Distinct().Count()} processes";
        if (intervals.Count == 0)
        {
            report.Violate(Overlap, "the test engine logged no epoch at all: the check could not run");
            return;
        }
        // Cut each process's SIGSTOP windows out of its intervals.
        var pieces = new List<Interval>();
        foreach (var i in intervals)
        {
            var parts = new List<Interval> { i };
            foreach (var (pid, from, to) in cluster.Frozen.Where(f => f.Pid == i.Pid))
                parts = parts.SelectMany(p => to <= p.Start || from >= p.End ? [p]
                    : new[] { p with { End = Math.Min(p.End, from) }, p with { Start = Math.Max(p.Start, to) } }.Where(x => x.End > x.Start)).ToList();
            pieces.AddRange(parts);
        }
        var names = cluster.AllProcesses.GroupBy(p => p.Pid).ToDictionary(g => g.Key, g => string.Join("|", g.Select(p => p.Name)));
        foreach (var group in pieces.GroupBy(p => p.Trial))
        {
            report.Count(Overlap);
            var sorted = group.OrderBy(p => p.Start).ToList();
            var reach = sorted[0];
            foreach (var next in sorted.Skip(1))
            {
                if (next.Start < reach.End)
                {
                    string Who(int pid) => $"{names.GetValueOrDefault(pid, "?")} pid {pid}";
                    report.Violate(Overlap, FormattableString.Invariant(
                        $"seed {report.Seed} {group.Key}: {Who(next.Pid)} trained {T(next.Start)}-{T(next.End)} while {Who(reach.Pid)} trained {T(reach.Start)}-{T(reach.End)} (overlap {(Math.Min(reach.End, next.End) - next.Start) / 1000.0:F2} s)"));
                    break;
                }
                if (next.End > reach.End) reach = next;
            }
        }
    }

    /// <summary>The cluster's members once every running node is up and reachable in them, or the last view seen when
    /// <see cref="MembershipSettle"/> runs out (null when the cluster never answered).</summary>
    private async Task<Dictionary<string, (string Status, bool Reachable)>?> SettledMembersAsync()
    {
        var deadline = DateTime.UtcNow + MembershipSettle;
        while (true)
        {
            var members = await cluster.MembersAsync();
            var settled = members is not null && cluster.Nodes
                .Where(n => n.Current is { HasExited: false })
                .All(n => members.TryGetValue(n.Address, out var m) && m.Status == "up" && m.Reachable);
            if (settled || DateTime.UtcNow > deadline) return members;
            await Task.Delay(2000);
        }
    }

    private static string T(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>How long membership may take to settle after the last restart: a node started just before the trials
    /// ended is let in once the cluster converges (gossip, then the leader), which an unreachable member delays.</summary>
    private static readonly TimeSpan MembershipSettle = TimeSpan.FromSeconds(60);

    /// <summary>Every node process has exited or is, within <see cref="MembershipSettle"/>, a member that is up and
    /// reachable; every one-shot command exited.</summary>
    private async Task CheckProcessesAsync()
    {
        var members = await SettledMembersAsync();
        foreach (var node in cluster.Nodes)
        foreach (var p in node.Lives)
        {
            report.Count(Healthy);
            if (p.HasExited) continue;
            if (p != node.Current)
            {
                report.Violate(Healthy, $"seed {report.Seed}: an earlier life of {node.Name} (pid {p.Pid}) still runs");
                continue;
            }
            if (members is null)
                report.Violate(Healthy, $"seed {report.Seed}: {node.Name} (pid {p.Pid}) runs but the cluster did not answer `cluster show`");
            else if (!members.TryGetValue(node.Address, out var m))
                report.Violate(Healthy, $"seed {report.Seed}: {node.Name} (pid {p.Pid}) runs but is no member of the cluster: {p.Tail(3)}");
            else if (m.Status != "up" || !m.Reachable)
                report.Violate(Healthy, $"seed {report.Seed}: {node.Name} (pid {p.Pid}) is {m.Status}{(m.Reachable ? "" : ", unreachable")}");
        }
        foreach (var p in cluster.AllProcesses.Where(p => cluster.Nodes.All(n => !n.Lives.Contains(p))))
        {
            report.Count(Healthy);
            if (!p.HasExited) report.Violate(Healthy, $"seed {report.Seed}: the command `{p.Name}` (pid {p.Pid}) still runs");
        }
        say($"processes: {cluster.AllProcesses.Count} started, {cluster.AllProcesses.Count(p => !p.HasExited)} running");
    }
}
