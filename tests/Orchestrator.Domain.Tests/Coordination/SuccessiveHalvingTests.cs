using System.Text;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Coordination;

/// <summary>
/// The coordinator's successive halving (<see cref="WorkQueue.DecideRungs"/>) against a reference computation of the
/// rule written here independently: whole rungs at a time, in the textbook way. A simulated cluster runs a scripted
/// problem with results arriving in many random orders, reports sent twice and the state restored from snapshots
/// midway; every run must make the reference's decisions.
/// </summary>
public class SuccessiveHalvingTests
{
    private static readonly SweepId Sweep = new("sw-halving");

    /// <summary>A scripted validation loss: each trial its own level and slope, so rankings change between epochs.</summary>
    private static double Loss(int trial, int epoch) => 0.3 + ((trial * 37) % 11) / 20.0 + ((trial * 13) % 7) / (5.0 * epoch);

    /// <summary>The lowest loss through <paramref name="epochs"/>: what a trial reports at a rung.</summary>
    private static double Best(int trial, int epochs) => Enumerable.Range(1, epochs).Min(e => Loss(trial, e));

    private static TrialId Id(int trial) => new($"t-{trial:D3}");

    private sealed record Reference(Dictionary<TrialId, int> PrunedAt, HashSet<TrialId> Finalists, TrialId Best, int Epochs);

    /// <summary>Successive halving by whole rungs: of each rung's cohort the best max(1, n / reduction) go on, ties by id.</summary>
    private static Reference ReferenceHalving(int trials, int reduction, IReadOnlyList<int> rungs, int budget)
    {
        var cohort = Enumerable.Range(0, trials).ToList();
        var prunedAt = new Dictionary<TrialId, int>();
        var epochs = 0;
        var trained = new int[trials];
        for (var k = 0; k < rungs.Count; k++)
        {
            foreach (var t in cohort)
            {
                epochs += rungs[k] - trained[t];
                trained[t] = rungs[k];
            }
            var ranked = cohort.OrderBy(t => Best(t, rungs[k])).ThenBy(t => Id(t).Value, StringComparer.Ordinal).ToList();
            var keep = Math.Max(1, cohort.Count / reduction);
            foreach (var t in ranked.Skip(keep)) prunedAt[Id(t)] = k;
            cohort = ranked.Take(keep).ToList();
        }
        foreach (var t in cohort) epochs += budget - trained[t];
        var best = cohort.OrderBy(t => Best(t, budget)).ThenBy(t => Id(t).Value, StringComparer.Ordinal).First();
        return new Reference(prunedAt, [.. cohort.Select(Id)], Id(best), epochs);
    }

    private sealed record Outcome(Dictionary<TrialId, int> PrunedAt, HashSet<TrialId> Finalists, TrialId? Chosen, int Epochs, int EarlyDecisions);

    /// <summary>Runs a one-cell sweep of <paramref name="trials"/> configurations on <paramref name="slots"/> simulated
    /// slots whose assignments end in an order <paramref name="seed"/> draws; with <paramref name="faults"/>, reports are
    /// sometimes delivered twice and the queue is sometimes rebuilt from its snapshot.</summary>
    private static Outcome Simulate(int trials, int reduction, IReadOnlyList<int> rungs, int budget, int slots, int seed, bool faults)
    {
        var ids = Enumerable.Range(0, trials).Select(Id).ToList();
        var plan = new SweepPlan([new CellPlan("cnn/dynamic", ids, rungs)], reduction, [7, 8]);
        var queue = new WorkQueue();
        queue.Apply(queue.Launch(Sweep, "halving", ids, plan)!);
        var rng = new Random(seed);
        var running = new List<(TrialId Id, int Assignment, RungOrder Order)>();
        var trained = ids.ToDictionary(id => id, _ => 0);
        var prunedAt = new Dictionary<TrialId, int>();
        var finalists = new HashSet<TrialId>();
        var (epochs, early) = (0, 0);
        var replayed = new List<CoordinatorEvent>();
        while (!queue.HasEnded(Sweep))
        {
            if (running.Count < slots && queue.Assign($"slot-{running.Count}") is { } assigned)
            {
                queue.Apply(assigned);
                running.Add((assigned.TrialId, assigned.Assignment, queue.OrderOf(assigned.TrialId)!));
                continue;
            }
            if (running.Count == 0)
            {
                queue.CellsToReplicate().Should().ContainSingle("only the replicates keep the sweep open");
                var (_, cell, chosen) = queue.CellsToReplicate()[0];
                queue.Apply(queue.LaunchReplicates(Sweep, cell, chosen, [new TrialId("t-rep-7"), new TrialId("t-rep-8")])!);
                return new Outcome(prunedAt, finalists, chosen, epochs, early);
            }
            var pick = rng.Next(running.Count);
            var (id, assignment, order) = running[pick];
            running.RemoveAt(pick);
            var trial = ids.IndexOf(id);
            CoordinatorEvent? report;
            if (order.Pruned)
            {
                prunedAt[id] = order.Rung;
                report = queue.Finish(id, assignment, TrialEnd.Pruned);
            }
            else
            {
                var limit = order.EpochLimit == 0 ? budget : order.EpochLimit;
                epochs += limit - trained[id];
                trained[id] = limit;
                if (order.EpochLimit == 0) finalists.Add(id);
                report = order.EpochLimit == 0
                    ? queue.Finish(id, assignment, TrialEnd.Completed, Best(trial, budget))
                    : queue.ReachRung(id, assignment, limit, Best(trial, limit));
            }
            report.Should().NotBeNull();
            queue.Apply(report!);
            var decided = queue.DecideRungs(id);
            // Decided before the whole rung had reported: the trials of that rung still training or queued.
            early += decided.Count(e => e is TrialPruned p && running.Any(r => r.Order.Rung == p.Rung && !r.Order.Pruned));
            replayed.Add(report!);
            replayed.AddRange(decided);
            if (faults && rng.Next(4) == 0)
            {
                // The same report again (from a slot's registration): no longer current, it decides nothing.
                queue.ReachRung(id, assignment, trained[id], Best(trial, Math.Max(1, trained[id]))).Should().BeNull();
                queue.Finish(id, assignment, TrialEnd.Completed, 0.0).Should().BeNull();
            }
            if (faults && rng.Next(5) == 0)
            {
                // A coordinator that recovers from its snapshot holds the same ladder.
                var before = State(queue);
                queue = WorkQueue.From(Roundtrip(queue.Snapshot()));
                State(queue).Should().Be(before);
            }
        }
        throw new InvalidOperationException("the sweep ended before its replicates were launched");
    }

    private static WorkQueueSnapshot Roundtrip(WorkQueueSnapshot snapshot) =>
        (WorkQueueSnapshot)CoordinatorEventCatalog.Deserialize(CoordinatorEventCatalog.StoredName(snapshot), CoordinatorEventCatalog.Serialize(snapshot));

    private static string State(WorkQueue queue) => Encoding.UTF8.GetString(CoordinatorEventCatalog.Serialize(queue.Snapshot()));

    [Theory]
    [InlineData(27, 3, 1, 9, 2)]
    [InlineData(27, 3, 1, 9, 5)]
    [InlineData(20, 2, 2, 20, 3)]
    [InlineData(10, 3, 2, 20, 4)]
    [InlineData(5, 4, 1, 6, 2)]
    public void Decisions_match_whole_rung_successive_halving_in_any_order_and_through_faults(int trials, int reduction, int minEpochs, int budget, int slots)
    {
        var rungs = new Orchestrator.Domain.Search.PruningSpec(Orchestrator.Domain.Search.PruningKind.Asha, reduction, minEpochs).RungEpochs(budget);
        var reference = ReferenceHalving(trials, reduction, rungs, budget);
        var early = 0;
        for (var seed = 0; seed < 25; seed++)
        {
            var run = Simulate(trials, reduction, rungs, budget, slots, seed, faults: seed % 2 == 1);
            run.PrunedAt.Should().BeEquivalentTo(reference.PrunedAt, $"order {seed}");
            run.Finalists.Should().BeEquivalentTo(reference.Finalists, $"order {seed}");
            run.Chosen.Should().Be(reference.Best, $"order {seed}");
            run.Epochs.Should().Be(reference.Epochs, $"order {seed}");
            early += run.EarlyDecisions;
        }
        if (trials >= 10) early.Should().BeGreaterThan(0, "a trial is pruned as soon as enough of its rung beat it, not when the rung is complete");
    }

    [Fact]
    public void The_scripted_problem_of_27_spends_a_quarter_of_the_full_grid()
    {
        var reference = ReferenceHalving(27, 3, [1, 3], 9);
        reference.Epochs.Should().Be(27 + 9 * 2 + 3 * 6);
        reference.PrunedAt.Values.Count(k => k == 0).Should().Be(18);
        reference.PrunedAt.Values.Count(k => k == 1).Should().Be(6);
        reference.Finalists.Should().HaveCount(3);
    }

    [Fact]
    public void A_trial_is_pruned_once_enough_of_its_rung_beat_it_and_waits_while_it_could_still_go_on()
    {
        // Nine trials, reduction 3: three go on from rung 0.
        var ids = Enumerable.Range(0, 9).Select(Id).ToList();
        var queue = new WorkQueue();
        queue.Apply(queue.Launch(Sweep, "halving", ids, new SweepPlan([new CellPlan("cnn/dynamic", ids, [1])], 3, []))!);
        var assignments = ids.ToDictionary(id => id, _ => { var a = queue.Assign("slot-0")!; queue.Apply(a); return a.Assignment; });
        queue.OrderOf(ids[0]).Should().Be(new RungOrder(0, 1, false, 0));

        void Report(int trial, double loss)
        {
            queue.Apply(queue.ReachRung(ids[trial], assignments[ids[trial]], 1, loss)!);
        }

        Report(8, 0.9);
        queue.DecideRungs(ids[8]).Should().BeEmpty("one result decides nothing");
        Report(0, 0.1);
        Report(1, 0.2);
        queue.DecideRungs(ids[1]).Should().BeEmpty();
        Report(2, 0.3);
        var decided = queue.DecideRungs(ids[2]);
        decided.Should().Equal(new TrialPruned(ids[8], 0, 0.9, 3));
        queue.OrderOf(ids[8]).Should().Be(new RungOrder(0, 1, true, 3));
        queue.Assign("slot-1")!.TrialId.Should().Be(ids[8], "a pruned trial is queued first, to journal its end");
        queue.StatusOf(ids[0]).Should().Be(TrialStatus.Pending, "the best so far waits: six more could still beat it");

        foreach (var (trial, loss) in new[] { (3, 0.4), (4, 0.5), (5, 0.6) }) Report(trial, loss);
        decided = queue.DecideRungs(ids[5]);
        decided.Should().Contain(new TrialPromoted(ids[0], 1), "six results are known to be worse than the best");
        decided.Should().Contain([new TrialPruned(ids[3], 0, 0.4, 3), new TrialPruned(ids[4], 0, 0.5, 4), new TrialPruned(ids[5], 0, 0.6, 5)]);
        queue.OrderOf(ids[0]).Should().Be(new RungOrder(1, 0, false, 0), "promoted past the last rung: on to its own end");
    }

    [Fact]
    public void A_cell_without_rungs_replicates_its_best_trial_and_the_sweep_ends_only_after_its_replicates()
    {
        var cellA = new[] { Id(1), Id(2) };
        var cellB = new[] { Id(3), Id(4) };
        var plan = new SweepPlan([new CellPlan("cnn/dynamic", cellA, []), new CellPlan("cnn/fixed-top-n", cellB, [])], 1, [5, 6]);
        var queue = new WorkQueue();
        queue.Apply(queue.Launch(Sweep, "replicated", [.. cellA, .. cellB], plan)!);
        var losses = new Dictionary<TrialId, double> { [Id(1)] = 0.5, [Id(2)] = 0.4, [Id(3)] = 0.2, [Id(4)] = 0.3 };
        var due = new List<int>();
        while (queue.Assign("slot-0") is { } a)
        {
            queue.Apply(a);
            queue.OrderOf(a.TrialId).Should().Be(new RungOrder(0, 0, false, 0));
            var end = a.TrialId == Id(4) ? TrialEnd.Failed : TrialEnd.Completed;
            queue.Apply(queue.Finish(a.TrialId, a.Assignment, end, losses[a.TrialId])!);
            queue.DecideRungs(a.TrialId).Should().BeEmpty();
            due.Add(queue.CellsToReplicate().Count);
        }
        due.Should().Equal([0, 1, 1, 2], "a cell is due once its own trials have ended, whatever the other cell does");
        queue.HasEnded(Sweep).Should().BeFalse("its replicates are still to run");
        queue.CellsToReplicate().Should().Equal((Sweep, 0, (TrialId?)Id(2)), (Sweep, 1, (TrialId?)Id(3)));

        queue.Apply(queue.LaunchReplicates(Sweep, 0, Id(2), [new TrialId("t-r1"), new TrialId("t-r2")])!);
        queue.LaunchReplicates(Sweep, 0, Id(2), [new TrialId("t-r1")]).Should().BeNull("launched once");
        queue.Apply(queue.LaunchReplicates(Sweep, 1, Id(3), [new TrialId("t-r3")])!);
        queue.CellsToReplicate().Should().BeEmpty();
        queue.HasEnded(Sweep).Should().BeFalse();
        queue.StatusOf(new TrialId("t-r1")).Should().Be(TrialStatus.Pending);
        queue.OrderOf(new TrialId("t-r1")).Should().BeNull("a replicate is on no ladder: it trains to its own end");
        while (queue.Assign("slot-0") is { } a)
        {
            queue.Apply(a);
            queue.Apply(queue.Finish(a.TrialId, a.Assignment, TrialEnd.Completed, 0.1)!);
        }
        queue.HasEnded(Sweep).Should().BeTrue();
    }

    [Fact]
    public void A_cancelled_sweep_ends_without_replicates_and_its_waiting_trials_wait_again_after_a_resume()
    {
        var ids = Enumerable.Range(0, 3).Select(Id).ToList();
        var queue = new WorkQueue();
        queue.Apply(queue.Launch(Sweep, "halving", ids, new SweepPlan([new CellPlan("cnn/dynamic", ids, [2])], 3, [9]))!);
        var a = queue.Assign("slot-0")!;
        queue.Apply(a);
        queue.Apply(queue.ReachRung(a.TrialId, a.Assignment, 2, 0.5)!);
        queue.DecideRungs(a.TrialId).Should().BeEmpty();
        queue.Apply(queue.Cancel(Sweep)!);
        queue.HasEnded(Sweep).Should().BeTrue();
        queue.CellsToReplicate().Should().BeEmpty();
        // The nemesis, seed 2807: a cancelled pruning sweep retired, and `sweep resume` revived it from its rows
        // without its ladders, so its trials ran to the end unpruned. It stays until resumed.
        queue.Retire(Sweep).Should().BeNull("a retired sweep comes back from its rows, without its ladders");
        queue.Apply(queue.Resume(Sweep)!);
        var again = Enumerable.Range(0, 3).Select(_ => { var x = queue.Assign("slot-0")!; queue.Apply(x); return x.TrialId; }).ToList();
        again.Should().BeEquivalentTo(ids);
        queue.OrderOf(a.TrialId).Should().Be(new RungOrder(0, 2, false, 0), "it reports its rung again, with nothing to train");
    }
}
