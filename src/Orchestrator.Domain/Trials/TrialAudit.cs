using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Trials;

/// <summary>
/// Checks a trial's journal against Algorithm 1 (design.md semantics), independently of the decider that
/// wrote it: unfreezing only after p epochs without improvement, to = min(from + k, L), the new rate
/// = old x (1 - decay), a restore to the best epoch at each unfreeze, the patience counter, the stop rule,
/// and the best epoch reported at the end. Returns the violations found, empty for a sound journal.
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
        var problems = new List<string>();
        if (events.Count == 0) return problems;
        if (events[0] is not TrialStarted start)
        {
            problems.Add("the first event is not TrialStarted");
            return problems;
        }

        var dynamic = start.Strategy == Strategy.Dynamic;
        var m = start.InitialUnfrozenGroups;
        var lr = start.LearningRate;
        var best = double.PositiveInfinity;
        var bestEpoch = 0;
        var patience = 0;
        var epoch = 0;
        var mustStop = false;
        var stopped = false;

        for (var i = 1; i < events.Count; i++)
        {
            var e = events[i];
            if (stopped && e is not TrialCompleted and not TrialFailed and not AttemptFailed)
                problems.Add($"event {i} ({e.GetType().Name}) after TrainingStopped");
            switch (e)
            {
                case EpochCompleted c:
                    if (mustStop) problems.Add($"epoch {c.Epoch} ran although epoch {epoch} met the stop rule");
                    if (c.Epoch != epoch + 1) problems.Add($"epoch {c.Epoch} follows epoch {epoch}");
                    epoch = c.Epoch;
                    if (c.UnfrozenGroups != m) problems.Add($"epoch {epoch}: unfrozenGroups {c.UnfrozenGroups}, expected {m}");
                    if (!Close(c.LearningRate, lr)) problems.Add($"epoch {epoch}: learningRate {c.LearningRate}, expected {lr}");
                    var improved = c.ValLoss < best - start.MinDelta;
                    patience = improved ? 0 : patience + 1;
                    if (c.PatienceCounter != patience) problems.Add($"epoch {epoch}: patienceCounter {c.PatienceCounter}, expected {patience}");
                    var next = i + 1 < events.Count ? events[i + 1] : null;
                    if (improved)
                    {
                        best = c.ValLoss;
                        bestEpoch = epoch;
                        if (next is not BestImproved b || b.Epoch != epoch || b.ValLoss != c.ValLoss)
                            problems.Add($"epoch {epoch}: validation loss improved but no BestImproved follows");
                    }
                    var plateau = patience >= start.Patience;
                    var unfreezeDue = dynamic && plateau && m < start.Groups;
                    var unfreezes = events.Skip(i + 1).TakeWhile(x => x is not EpochCompleted).OfType<GroupsUnfrozen>().Any();
                    if (unfreezeDue != unfreezes)
                        problems.Add(unfreezeDue
                            ? $"epoch {epoch}: {patience} epochs without improvement (p = {start.Patience}) but no unfreeze"
                            : $"epoch {epoch}: unfreeze without a plateau (patience {patience}, p = {start.Patience}, m = {m} of {start.Groups})");
                    mustStop = StopDue(start, epoch, m, plateau, unfreezeDue);
                    break;
                case BestImproved b when b.Epoch != epoch:
                    problems.Add($"BestImproved for epoch {b.Epoch} after epoch {epoch}");
                    break;
                case GroupsUnfrozen u:
                    var expectedTo = Math.Min(m + start.Step, start.Groups);
                    if (u.From != m || u.To != expectedTo) problems.Add($"epoch {epoch}: unfreeze {u.From}->{u.To}, expected {m}->{expectedTo}");
                    if (!Close(u.LearningRate, lr * (1 - start.Decay))) problems.Add($"epoch {epoch}: new rate {u.LearningRate}, expected {lr * (1 - start.Decay)}");
                    if (i + 1 >= events.Count || events[i + 1] is not BestWeightsRestored r || r.BestEpoch != bestEpoch)
                        problems.Add($"epoch {epoch}: unfreeze not followed by a restore to best epoch {bestEpoch}");
                    m = u.To;
                    lr = u.LearningRate;
                    patience = 0;
                    mustStop = StopDue(start, epoch, m, plateau: false, unfrozeNow: true);
                    break;
                case TrainingStopped:
                    if (!mustStop) problems.Add($"training stopped after epoch {epoch} although the stop rule was not met");
                    stopped = true;
                    mustStop = false;
                    break;
                case TrialCompleted done when done.BestEpoch != bestEpoch:
                    problems.Add($"TrialCompleted names best epoch {done.BestEpoch}, the lowest validation loss was at epoch {bestEpoch}");
                    break;
            }
        }
        if (mustStop && !stopped) problems.Add($"epoch {epoch} met the stop rule but the journal has no TrainingStopped");
        return problems;
    }

    private static bool StopDue(TrialStarted start, int epoch, int m, bool plateau, bool unfrozeNow) =>
        (start.Strategy, start.StopPolicy) switch
        {
            (Strategy.FixedTopN, _) => plateau || epoch >= start.MaxEpochs,
            (Strategy.Dynamic, StopPolicy.Algorithm1) =>
                epoch % start.MaxEpochs == 0 && (m >= start.Groups || epoch / start.MaxEpochs >= start.MaxRounds),
            (Strategy.Dynamic, StopPolicy.PlateauAfterFullUnfreeze) =>
                (plateau && !unfrozeNow && m >= start.Groups) || epoch >= start.MaxEpochs,
        };

    private static bool Close(double actual, double expected) =>
        Math.Abs(actual - expected) <= RelativeTolerance * Math.Max(Math.Abs(expected), 1e-300);
}
