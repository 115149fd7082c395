using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Tests;

/// <summary>Training any set of groups (chain-thaw trains one shallow group alone), per-group learning rates, and
/// BatchNorm running statistics updated where a schedule says so.</summary>
public sealed class GroupSetTrainingTests() : TinyDataTests(trainPerClass: 16, valPerClass: 4, size: 32, seed: 2)
{
    [Theory]
    [InlineData("lightweight-cnn", new[] { 0 })]
    [InlineData("lightweight-cnn", new[] { 1, 3 })]
    [InlineData("lightweight-cnn", new int[0])]
    [InlineData("mobilenet_v2", new[] { 0, 3 })]
    public void An_epoch_changes_the_head_and_exactly_the_named_groups(string arch, int[] named)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options(arch));
        var groups = trainer.GroupCount;
        trainer.SetTrainableGroups(GroupSet.Of(named), 1e-3, 1);
        var before = Enumerable.Range(0, groups + 1).Select(trainer.ParameterChecksum).ToArray();
        var stats = Enumerable.Range(0, groups).Select(trainer.BatchNormStatisticsChecksum).ToArray();

        trainer.TrainEpoch(Data, Train[..16], TinyData.BalancedWeights, 8, null, default);

        for (var g = 0; g <= groups; g++)
            (trainer.ParameterChecksum(g) != before[g]).Should().Be(g == groups || named.Contains(g), $"{arch}: group {g} (the head is {groups})");
        for (var g = 0; g < groups; g++)
            trainer.BatchNormStatisticsChecksum(g).Should().Be(stats[g], "BatchNorm statistics stay frozen by default");
    }

    [Fact]
    public void The_feature_cache_keeps_only_the_frozen_prefix_below_the_shallowest_trainable_group()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        var splitOf = (int[] named) =>
        {
            trainer.SetTrainableGroups(GroupSet.Of(named), 1e-3, 1);
            return trainer.FrozenPrefix.Split;
        };
        var deepestTwo = splitOf([2, 3]);
        deepestTwo.Should().BeGreaterThan(0, "groups 0 and 1 are a frozen prefix");
        splitOf([2]).Should().Be(deepestTwo, "group 3 frozen above the trainable one does not make the prefix longer");
        splitOf([0]).Should().Be(0, "nothing is frozen below group 0, so nothing is cached");
        splitOf([0, 3]).Should().Be(0);
        splitOf([]).Should().BeGreaterThan(deepestTwo, "the head alone: the whole backbone is the prefix");
    }

    [Fact]
    public void Discriminative_rates_divide_each_group_below_the_deepest_trainable_one()
    {
        const double factor = 2;
        // SGD's first step is the rate times the gradient, so the steps scale with the rates (up to float rounding).
        using var flat = TorchTrainer.Create(TinyData.Options(optimizer: Optimizer.Sgd, lr: 1e-3));
        using var discriminative = TorchTrainer.Create(TinyData.Options(optimizer: Optimizer.Sgd, lr: 1e-3));
        var groups = flat.GroupCount;
        flat.SetTrainableGroups(GroupSet.All(groups), 1e-3, 1);
        discriminative.SetTrainableGroups(GroupSet.All(groups), 1e-3, factor);
        var before = Enumerable.Range(0, groups + 1).Select(flat.ParameterChecksum).ToArray();
        Enumerable.Range(0, groups + 1).Select(discriminative.ParameterChecksum).Should().Equal(before, "the same seed");

        // One batch: one optimizer step from the same weights, so the steps differ only by each group's rate.
        flat.TrainEpoch(Data, Train[..8], TinyData.BalancedWeights, 8, null, default);
        discriminative.TrainEpoch(Data, Train[..8], TinyData.BalancedWeights, 8, null, default);

        for (var g = 0; g <= groups; g++)
        {
            var expected = g == groups ? 1 : 1 / Math.Pow(factor, groups - 1 - g);
            var ratio = (discriminative.ParameterChecksum(g) - before[g]) / (flat.ParameterChecksum(g) - before[g]);
            // Group 0 has the fewest weights, so float32 rounding weighs most in its checksum's change.
            ratio.Should().BeApproximately(expected, expected * (g == 0 ? 0.1 : 0.02), $"group {g} (the head is {groups})");
        }
        discriminative.LearningRate.Should().Be(1e-3, "the trainer's rate is the head's and the deepest group's");
    }

    [Fact]
    public void Batchnorm_statistics_update_only_in_trainable_groups_when_asked()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        var groups = trainer.GroupCount;
        trainer.SetBatchNormUpdates(true);
        trainer.SetTrainableGroups(GroupSet.Of([1, 3]), 1e-3, 1);
        var stats = Enumerable.Range(0, groups).Select(trainer.BatchNormStatisticsChecksum).ToArray();

        trainer.TrainEpoch(Data, Train[..16], TinyData.BalancedWeights, 8, null, default);

        for (var g = 0; g < groups; g++)
            (trainer.BatchNormStatisticsChecksum(g) != stats[g]).Should().Be(g is 1 or 3, $"group {g}");
    }

    [Fact]
    public void A_checkpoint_keeps_a_named_group_set_and_its_rates()
    {
        using var temp = new TempDir("ote-groupset-");
        var dir = temp.Path;
        using var original = TorchTrainer.Create(TinyData.Options());
        original.SetTrainableGroups(GroupSet.Of([1]), 5e-4, 2.6);
        original.TrainEpoch(Data, Train[..16], TinyData.BalancedWeights, 8, null, default);
        var path = Path.Combine(dir, "c.pt");
        var sha = original.SaveCheckpoint(path, 3);

        using var resumed = TorchTrainer.Create(TinyData.Options(seed: 99));
        resumed.LoadCheckpoint(path, sha).Should().Be(3);

        resumed.TrainableParameterCount.Should().Be(original.TrainableParameterCount);
        resumed.FrozenPrefix.Should().Be(original.FrozenPrefix);
        resumed.LearningRate.Should().Be(5e-4);
        var before = Enumerable.Range(0, 5).Select(resumed.ParameterChecksum).ToArray();
        before.Should().Equal(Enumerable.Range(0, 5).Select(original.ParameterChecksum));
        resumed.TrainEpoch(Data, Train[16..32], TinyData.BalancedWeights, 8, null, default);
        Enumerable.Range(0, 5).Select(g => resumed.ParameterChecksum(g) != before[g]).Should().Equal(false, true, false, false, true);
    }

    [Fact]
    public void The_domain_knows_each_backbones_group_count_as_the_engine_cuts_it()
    {
        foreach (var backbone in Backbones.Supported)
            Backbones.GroupCount(backbone).Should().Be(EngineInfo.GroupCount(backbone), backbone);
    }
}
