using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Reporting.Reports;

/// <summary>
/// One (backbone, strategy) cell's search, as tuning history: how many configurations it tried, how many its successive
/// halving pruned, the epochs and training seconds it spent against its full grid's epochs, the configuration it
/// chose (its completed trial with the lowest best validation loss), and its curve: the best validation loss found
/// so far against the epochs spent, taking the epochs rung by rung (every configuration's epochs up to the first rung,
/// then the promoted ones' up to the next, ...; in plan order within a rung), the order successive halving spends
/// them in whatever the slots did.
/// </summary>
public sealed record TuningCell(
    string Cell,
    string Backbone,
    Strategy Strategy,
    int Configurations,
    int Pruned,
    int Completed,
    int Epochs,
    int GridEpochs,
    double WallSeconds,
    string? Chosen,
    IReadOnlyList<(int Epochs, double BestValLoss)> Curve);

/// <summary>What one strategy's searches spent over every backbone: the budget a fair comparison gives each alike.</summary>
public sealed record StrategyBudget(Strategy Strategy, int Cells, int Configurations, int Epochs, int GridEpochs, double WallSeconds);

public static class TuningHistory
{
    public static IReadOnlyList<TuningCell> Cells(SweepPlan plan, IReadOnlyList<TrialResults> trials)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(trials);
        var byId = trials.ToDictionary(t => t.Id, StringComparer.Ordinal);
        var cells = new List<TuningCell>();
        foreach (var cell in plan.Cells)
        {
            var members = cell.Trials.Select(id => byId.GetValueOrDefault(id.Value)).OfType<TrialResults>().ToList();
            if (members.Count == 0) continue;
            var epochs = members.Select(t => (Trial: t, Epochs: t.Events.OfType<EpochCompleted>().ToList())).ToList();
            var states = members.ToDictionary(t => t.Id, t => TrialEvolution.Replay(t.Events), StringComparer.Ordinal);
            var chosen = members.Where(t => states[t.Id].Phase == TrialPhase.Completed)
                .OrderBy(t => states[t.Id].BestValLoss).ThenBy(t => t.Id, StringComparer.Ordinal).FirstOrDefault();
            cells.Add(new TuningCell(cell.Name, members[0].Spec.Backbone, members[0].Spec.Strategy, members.Count,
                members.Count(t => states[t.Id].Phase == TrialPhase.Pruned),
                members.Count(t => states[t.Id].Phase == TrialPhase.Completed),
                epochs.Sum(e => e.Epochs.Count),
                members.Sum(t => t.Spec.MaxEpochs),
                epochs.Sum(e => e.Epochs.Sum(x => x.Seconds)),
                chosen?.Id,
                Curve(cell.Rungs, epochs.Select((e, order) => (order, e.Epochs)).ToList())));
        }
        return cells;
    }

    public static IReadOnlyList<StrategyBudget> Budgets(IReadOnlyList<TuningCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        return [.. cells.GroupBy(c => c.Strategy).Select(g => new StrategyBudget(g.Key, g.Count(), g.Sum(c => c.Configurations),
            g.Sum(c => c.Epochs), g.Sum(c => c.GridEpochs), g.Sum(c => c.WallSeconds)))];
    }

    /// <summary>The running best validation loss over the epochs taken rung by rung, then in plan order.</summary>
    private static IReadOnlyList<(int, double)> Curve(IReadOnlyList<int> rungs, IReadOnlyList<(int Order, List<EpochCompleted> Epochs)> trials)
    {
        int RungOf(int epoch)
        {
            for (var k = 0; k < rungs.Count; k++)
                if (epoch <= rungs[k]) return k;
            return rungs.Count;
        }
        var ordered = trials.SelectMany(t => t.Epochs.Select(e => (Rung: RungOf(e.Epoch), t.Order, e.Epoch, e.ValLoss)))
            .OrderBy(e => e.Rung).ThenBy(e => e.Order).ThenBy(e => e.Epoch);
        var curve = new List<(int, double)>();
        var best = double.PositiveInfinity;
        var spent = 0;
        foreach (var e in ordered)
        {
            spent++;
            if (double.IsFinite(e.ValLoss) && e.ValLoss < best) best = e.ValLoss;
            curve.Add((spent, best));
        }
        return curve;
    }
}
