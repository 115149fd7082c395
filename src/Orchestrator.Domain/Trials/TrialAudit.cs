using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;

namespace Orchestrator.Domain.Trials;

/// <summary>
/// Checks a trial's journal against its own phase schedule (for dynamic, Algorithm 1 with design.md's semantics),
/// independently of the decider that wrote it: a new phase only when the current one ends (a plateau of its
/// patience, or its count of epochs), to the groups of the next phase (dynamic: min(from + k, L)), the new rate
/// = old x the phase's factor (dynamic: 1 - decay), a restore to the best epoch where the phase restores, the groups
/// that trained each epoch, the patience counter, the stop rule, and the best epoch reported at the end. A journal may
/// end with <see cref="TrialDiverged"/> straight after the epoch it names, whose losses must break the bound of
/// <see cref="Divergence"/>; that epoch neither improves nor begins a phase, and nothing follows it. An epoch that
/// would break the bound but did not end its trial is no violation: journals written before the rule are sound. A
/// journal may end with <see cref="TrialPruned"/> naming its last epoch, while training goes on; nothing follows it.
/// Returns the violations found, empty for a sound journal.
/// </summary>
public static class TrialAudit
{
    private const double RelativeTolerance = 1e-9;

    /// <param name="journal">The journal as stored; superseded attempts' events and the attempt markers are
    /// left out before it is checked.</param>
    public static IReadOnlyList<string> Violations(IReadOnlyList<TrialEvent> journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        var events = TrialEvolution.Effective(journal).Where(e => e is not AttemptStarted).ToList();
        // Attempts that failed before any began the trial (a start that threw) leave only their markers.
        events = events.SkipWhile(e => e is AttemptFailed).ToList();
        var problems = new List<string>();
        if (events.Count == 0) return problems;
        if (events[0] is not TrialStarted start)
        {
            problems.Add("the first event is not TrialStarted");
            return problems;
        }

        var schedule = start.Schedule;
        var plan = schedule ?? (start.Strategy == Strategy.Dynamic
            ? BuiltInSchedules.Dynamic(start.Groups, start.Patience, Math.Max(start.Step, 1), start.Decay, start.StopPolicy)
            : BuiltInSchedules.FixedTopN(start.Groups, start.InitialUnfrozenGroups, start.Patience));
        if (plan.Problems(start.Groups) is { Count: > 0 } impossible)
        {
            problems.AddRange(impossible.Select(p => "schedule: " + p));
            return problems;
        }
        if (start.InitialUnfrozenGroups != plan[0].Trains.Count)
            problems.Add($"TrialStarted: initialUnfrozenGroups {start.InitialUnfrozenGroups}, the first phase trains {plan[0].Trains}");
        var phase = 0;
        var phaseStart = 0;
        var m = start.InitialUnfrozenGroups;
        var lr = start.LearningRate;
        var best = double.PositiveInfinity;
        var bestEpoch = 0;
        var patience = 0;
        var epoch = 0;
        var phaseEnded = false;
        var mustStop = false;
        var stopped = false;
        var diverged = false;
        var pruned = false;
        var firstEpochLoss = 0.0;

        for (var i = 1; i < events.Count; i++)
        {
            var e = events[i];
            if (stopped && e is not TrialCompleted and not TrialFailed and not AttemptFailed)
                problems.Add($"event {i} ({e.GetType().Name}) after TrainingStopped");
            if (diverged) problems.Add($"event {i} ({e.GetType().Name}) after TrialDiverged");
            if (pruned) problems.Add($"event {i} ({e.GetType().Name}) after TrialPruned");
            switch (e)
            {
                case EpochCompleted c:
                    if (mustStop) problems.Add($"epoch {c.Epoch} ran although epoch {epoch} met the stop rule");
                    if (c.Epoch != epoch + 1) problems.Add($"epoch {c.Epoch} follows epoch {epoch}");
                    epoch = c.Epoch;
                    if (c.UnfrozenGroups != m) problems.Add($"epoch {epoch}: unfrozenGroups {c.UnfrozenGroups}, expected {m}");
                    CheckGroups(problems, $"epoch {epoch}: trainableGroups", c.TrainableGroups, schedule, plan[phase].Trains);
                    if (!Close(c.LearningRate, lr)) problems.Add($"epoch {epoch}: learningRate {c.LearningRate}, expected {lr}");
                    var next = i + 1 < events.Count ? events[i + 1] : null;
                    var diverges = next is TrialDiverged;
                    if (diverges && Divergence.Reason(c.TrainLoss, c.ValLoss, firstEpochLoss) is null)
                        problems.Add($"epoch {epoch}: TrialDiverged, but its losses (train {c.TrainLoss}, val {c.ValLoss}) are within the bound");
                    if (epoch == 1) firstEpochLoss = Divergence.FirstEpochLoss(c.TrainLoss, c.ValLoss);
                    var improved = !diverges && c.ValLoss < best - start.MinDelta;
                    patience = improved ? 0 : patience + 1;
                    if (c.PatienceCounter != patience) problems.Add($"epoch {epoch}: patienceCounter {c.PatienceCounter}, expected {patience}");
                    if (diverges)
                    {
                        mustStop = false;
                        break;
                    }
                    if (improved)
                    {
                        best = c.ValLoss;
                        bestEpoch = epoch;
                        if (next is not BestImproved b || b.Epoch != epoch || b.ValLoss != c.ValLoss)
                            problems.Add($"epoch {epoch}: validation loss improved but no BestImproved follows");
                    }
                    var end = plan[phase].End;
                    phaseEnded = end.IsReached(patience, epoch - phaseStart);
                    var unfreezeDue = phaseEnded && phase < plan.LastPhase;
                    var unfreezes = events.Skip(i + 1).TakeWhile(x => x is not EpochCompleted).OfType<GroupsUnfrozen>().Any();
                    if (unfreezeDue != unfreezes)
                        problems.Add(unfreezeDue
                            ? $"epoch {epoch}: phase {phase + 1} ended ({end}; patience {patience}) but no unfreeze"
                            : $"epoch {epoch}: unfreeze without a plateau or the end of a phase (patience {patience}, phase {phase + 1}: {end}, m = {m} of {start.Groups})");
                    mustStop = StopDue(start, plan, epoch, phaseEnded && phase == plan.LastPhase, phase == plan.LastPhase);
                    break;
                case BestImproved b when b.Epoch != epoch:
                    problems.Add($"BestImproved for epoch {b.Epoch} after epoch {epoch}");
                    break;
                case GroupsUnfrozen u:
                    if (phase == plan.LastPhase)
                    {
                        problems.Add($"epoch {epoch}: unfreeze after the last phase");
                        break;
                    }
                    var entered = plan[phase + 1];
                    var expectedTo = entered.Trains.Count;
                    if (u.From != m || u.To != expectedTo) problems.Add($"epoch {epoch}: unfreeze {u.From}->{u.To}, expected {m}->{expectedTo}");
                    CheckGroups(problems, $"epoch {epoch}: unfreeze to", u.TrainableGroups, schedule, entered.Trains);
                    if (!Close(u.LearningRate, lr * entered.RateFactor)) problems.Add($"epoch {epoch}: new rate {u.LearningRate}, expected {lr * entered.RateFactor}");
                    var restored = i + 1 < events.Count && events[i + 1] is BestWeightsRestored;
                    if (entered.RestoreBest && (!restored || ((BestWeightsRestored)events[i + 1]).BestEpoch != bestEpoch))
                        problems.Add($"epoch {epoch}: unfreeze not followed by a restore to best epoch {bestEpoch}");
                    if (!entered.RestoreBest && restored)
                        problems.Add($"epoch {epoch}: best weights restored, which phase {phase + 2} does not do");
                    phase++;
                    phaseStart = epoch;
                    m = u.To;
                    lr = u.LearningRate;
                    patience = 0;
                    mustStop = StopDue(start, plan, epoch, lastPhaseEnded: false, inLastPhase: phase == plan.LastPhase);
                    break;
                case BestWeightsRestored r when events[i - 1] is not GroupsUnfrozen:
                    problems.Add($"epoch {r.Epoch}: best weights restored without a new phase");
                    break;
                case TrainingStopped:
                    if (!mustStop) problems.Add($"training stopped after epoch {epoch} although the stop rule was not met");
                    stopped = true;
                    mustStop = false;
                    break;
                case TrialDiverged d:
                    if (events[i - 1] is not EpochCompleted before || before.Epoch != d.Epoch)
                        problems.Add($"TrialDiverged for epoch {d.Epoch} does not follow that epoch's EpochCompleted");
                    diverged = true;
                    break;
                case TrialPruned p:
                    if (p.Epoch != epoch) problems.Add($"TrialPruned names epoch {p.Epoch}, the last epoch journaled is {epoch}");
                    if (stopped) problems.Add("TrialPruned after TrainingStopped");
                    pruned = true;
                    break;
                case TrialCompleted done when done.BestEpoch != bestEpoch:
                    problems.Add($"TrialCompleted names best epoch {done.BestEpoch}, the lowest validation loss was at epoch {bestEpoch}");
                    break;
            }
        }
        if (mustStop && !stopped) problems.Add($"epoch {epoch} met the stop rule but the journal has no TrainingStopped");
        return problems;
    }

    /// <summary>A journal that names its schedule names every group set; one that does not names none (its groups are
    /// the deepest m, checked by the counts).</summary>
    private static void CheckGroups(List<string> problems, string what, GroupSet? journaled, PhaseSchedule? schedule, GroupSet expected)
    {
        if (schedule is null && journaled is not null) problems.Add($"{what} {journaled}, which this strategy's journal does not name");
        else if (schedule is not null && journaled != expected) problems.Add($"{what} {journaled?.ToString() ?? "absent"}, expected {expected}");
    }

    private static bool StopDue(TrialStarted start, PhaseSchedule plan, int epoch, bool lastPhaseEnded, bool inLastPhase) =>
        plan.Stop == ScheduleStop.Algorithm1Rounds
            ? epoch % start.MaxEpochs == 0 && (inLastPhase || epoch / start.MaxEpochs >= start.MaxRounds)
            : lastPhaseEnded || epoch >= start.MaxEpochs;

    private static bool Close(double actual, double expected) =>
        Math.Abs(actual - expected) <= RelativeTolerance * Math.Max(Math.Abs(expected), 1e-300);
}
