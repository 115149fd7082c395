using Orchestrator.Engine.Datasets;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Tests;

/// <summary>Group-partition checks shared by the per-architecture test classes.</summary>
internal static class BackboneGroupChecks
{
    /// <summary>
    /// The engine's L and the parameter count of every group, shallow to deep (as documented in the native
    /// README), read back through the trainable count as groups are unfrozen one by one from the deep end.
    /// </summary>
    public static void AssertGroups(string architecture, long[] groupParameters, int featureDimension)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options(architecture));
        var groups = groupParameters.Length;
        trainer.GroupCount.Should().Be(groups);
        EngineInfo.GroupCount(architecture).Should().Be(groups);
        trainer.FeatureDimension.Should().Be(featureDimension);

        var counts = Enumerable.Range(0, groups + 1).Select(m => { trainer.SetTrainable(m); return trainer.TrainableParameterCount; }).ToArray();
        counts[0].Should().Be(featureDimension * TinyData.Classes + TinyData.Classes, "only the head is trainable at m = 0");
        var perGroup = Enumerable.Range(1, groups).Select(m => counts[m] - counts[m - 1]).Reverse();
        perGroup.Should().Equal(groupParameters);
    }

    /// <summary>One epoch after SetTrainable(m): the head and the deepest m groups change, nothing else, and
    /// BatchNorm statistics never.</summary>
    public static void AssertEpochChangesOnlyTheHeadAndTheDeepestGroups(TorchTrainer trainer, PackedDataset data, int[] order, int m)
    {
        var groups = trainer.GroupCount;
        trainer.SetTrainable(m);
        var paramsBefore = Enumerable.Range(0, groups + 1).Select(trainer.ParameterChecksum).ToArray();
        var statsBefore = Enumerable.Range(0, groups).Select(trainer.BatchNormStatisticsChecksum).ToArray();

        trainer.TrainEpoch(data, order, TinyData.BalancedWeights, 8, null, default);

        for (var g = 0; g <= groups; g++)
        {
            var changed = trainer.ParameterChecksum(g) != paramsBefore[g];
            changed.Should().Be(g >= groups - m, $"{trainer.Options.Architecture}: group {g} of {groups} with m = {m} (group {groups} is the head)");
        }
        for (var g = 0; g < groups; g++)
            trainer.BatchNormStatisticsChecksum(g).Should().Be(statsBefore[g], $"BatchNorm statistics of group {g} are fixed");
    }
}
