using Orchestrator.Domain.Search;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Domain.Specs;

/// <summary>The pruning block and the replicates of a sweep (docs/sweeps.md, "Pruning and replicates").</summary>
public static partial class SweepSpecParser
{
    public const int DefaultReduction = 3;
    public const int DefaultMinEpochs = 1;
    public const int MaxReplicates = 100;

    private static readonly string[] PruningKeys = ["kind", "reduction", "minEpochs"];
    private const string EpochsPath = "hyperparameters.epochs";

    /// <summary>`pruning: { kind: asha, reduction: R, minEpochs: M }`. A cell's rungs are epochs below one budget, so
    /// every backbone needs a single `epochs`, and the first rung must lie below it (else nothing is ever pruned).</summary>
    private static PruningSpec? ParsePruning(YamlNode? node, IReadOnlyList<string> backbones, HyperparameterGrid grid,
        IReadOnlyList<SearchAxis> sampled)
    {
        if (node is null) return null;
        var pruning = new Section(AsMapping(node, "pruning"), "pruning.", PruningKeys);
        var kind = Choice<PruningKind>("pruning kind")(pruning.Required("kind"), "pruning.kind");
        var reduction = pruning.Int("reduction", DefaultReduction);
        if (reduction < 2) throw Fail("pruning.reduction", Invalid(reduction, "must be >= 2: a rung keeps the best 1/reduction"));
        var minEpochs = pruning.Int("minEpochs", DefaultMinEpochs);
        if (minEpochs < 1) throw Fail("pruning.minEpochs", Invalid(minEpochs, "must be >= 1"));

        var budgets = backbones.Select(b => (Backbone: b, Budget: EpochBudget(b, grid, sampled))).ToList();
        var tightest = budgets.MinBy(b => b.Budget);
        if (minEpochs >= tightest.Budget)
        {
            var whose = budgets.DistinctBy(b => b.Budget).Count() > 1 ? $" of {tightest.Backbone}" : "";
            throw Fail("pruning.minEpochs",
                $"{minEpochs} is not below the epoch budget {tightest.Budget} ({EpochsPath}{whose}): nothing would be pruned");
        }
        return new PruningSpec(kind, reduction, minEpochs);
    }

    /// <summary>The one epoch budget of <paramref name="backbone"/>'s trials: a sampled `epochs` (a range is for every
    /// backbone) or the backbone's list must hold a single value.</summary>
    private static int EpochBudget(string backbone, HyperparameterGrid grid, IReadOnlyList<SearchAxis> sampled)
    {
        if (sampled.OfType<SearchAxis<int>>().FirstOrDefault(a => a.Name == "epochs") is { } axis)
        {
            var values = axis.Range.Extremes.Distinct().ToList();
            return values.Count == 1
                ? values[0]
                : throw Fail(EpochsPath, "pruning needs one epoch budget per backbone, not a sampled one: a cell's rungs are epochs below one budget");
        }
        var epochs = grid.For(backbone).Epochs;
        return epochs.Count == 1
            ? epochs[0]
            : throw Fail(EpochsPath, $"pruning needs one epoch budget per backbone, not [{string.Join(", ", epochs.Select(e => Format(e)))}] " +
                $"for {backbone}: a cell's rungs are epochs below one budget");
    }

    /// <summary>`replicates: R`, 0 to <see cref="MaxReplicates"/>; its fresh seeds, the R integers after the largest of
    /// <paramref name="seeds"/>, must stay 32-bit integers.</summary>
    private static int ParseReplicates(Section top, IReadOnlyList<int> seeds)
    {
        var replicates = top.Int("replicates", 0);
        if (replicates is < 0 or > MaxReplicates)
            throw Fail("replicates", $"{replicates} is invalid (must be from 0 to {MaxReplicates})");
        var largest = seeds.Max();
        if (largest > int.MaxValue - replicates)
            throw Fail("replicates", $"{replicates} fresh seeds after the largest seed {largest} would pass {int.MaxValue}");
        return replicates;
    }
}
