using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Coordination;

/// <summary>One (backbone, strategy) cell of a sweep: its search's trials in plan order, and the epochs at which they
/// are compared (empty: no pruning, every trial trains to its own end).</summary>
public sealed record CellPlan(string Name, IReadOnlyList<TrialId> Trials, IReadOnlyList<int> Rungs);

/// <summary>What the coordinator needs of a pruning or replicating sweep beyond its trial ids: its cells, the reduction
/// factor of their successive halving, and the seeds each cell's best configuration runs again with once the cell's
/// search has ended (empty: no replicates).</summary>
public sealed record SweepPlan(IReadOnlyList<CellPlan> Cells, int Reduction, IReadOnlyList<int> ReplicateSeeds)
{
    /// <summary>The plan of <paramref name="spec"/>'s <paramref name="trials"/> (its expansion, in order); null for a
    /// sweep with neither pruning nor replicates, which the coordinator runs as a flat list.</summary>
    public static SweepPlan? Of(SweepSpec spec, IReadOnlyList<PlannedTrial> trials)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(trials);
        if (spec.Pruning is null && spec.Replicates == 0) return null;
        var cells = trials
            .GroupBy(t => CellName(t.Spec))
            .Select(cell => new CellPlan(cell.Key, cell.Select(t => t.Id).ToList(),
                spec.Pruning?.RungEpochs(cell.Max(t => t.Spec.MaxEpochs)) ?? []))
            .ToList();
        return new SweepPlan(cells, spec.Pruning?.Reduction ?? 1, ReplicateSeedsOf(spec));
    }

    /// <summary>The trials of the cells' searches; a sweep's other trials are its replicates.</summary>
    public IReadOnlySet<TrialId> SearchTrials() => Cells.SelectMany(c => c.Trials).ToHashSet();

    /// <summary>"backbone/strategy".</summary>
    public static string CellName(TrialSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return $"{spec.Backbone}/{spec.Strategy.ToSpecString()}";
    }

    /// <summary>Seeds no trial of the search uses: the <c>Replicates</c> integers after the largest of the spec's seeds,
    /// the same for every cell, so that the replicates form complete blocks (every cell has every seed).</summary>
    public static IReadOnlyList<int> ReplicateSeedsOf(SweepSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var first = spec.Seeds.Max() + 1;
        return [.. Enumerable.Range(first, spec.Replicates)];
    }

    /// <summary>The replicates of a cell's chosen configuration: its spec with each of <paramref name="seeds"/>.</summary>
    public static IReadOnlyList<PlannedTrial> Replicates(TrialSpec chosen, IReadOnlyList<int> seeds)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(seeds);
        return [.. seeds.Select(seed =>
        {
            var spec = chosen with { Seed = seed };
            var json = TrialSpecJson.Canonical(spec);
            return new PlannedTrial(Ids.TrialIdFromCanonical(json), spec, json);
        })];
    }
}
