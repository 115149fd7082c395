using Orchestrator.Engine.Models.Onnx;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Tests.Onnx;

/// <summary>An imported ONNX backbone (the bundled ImageNet ResNet-18, at 32x32) trains like a built-in one: every group
/// learns while BatchNorm statistics stay, the frozen prefix ends where the first trainable group begins and is served
/// from the feature cache, and a checkpoint brings the weights back in a new trainer.</summary>
public sealed class GraphBackboneTrainingTests() : TinyDataTests(trainPerClass: 4, valPerClass: 2, size: 32, seed: 2)
{
    private const string Name = "training-resnet18-imagenet";

    private TorchTrainer Trainer(FeatureCacheSettings? cache = null)
    {
        var library = new ModelLibrary(Tmp.File("models"));
        if (!library.Contains(Name)) library.Import(OnnxExports.ResNet18ImageNet, Name, new ImportOptions(), DateTimeOffset.UtcNow);
        return TorchTrainer.Create(TinyData.Options(Name) with { FeatureCache = cache });
    }

    [Fact]
    public void Every_group_trains_batchnorm_statistics_stay_and_a_checkpoint_restores_the_weights()
    {
        using var trainer = Trainer();
        trainer.GroupCount.Should().Be(5);
        var groups = Enumerable.Range(0, 5).ToList();
        var statistics = groups.Select(trainer.BatchNormStatisticsChecksum).ToList();
        var weights = groups.Select(trainer.ParameterChecksum).ToList();

        trainer.SetTrainable(5);
        trainer.TrainEpoch(Data, Train, TinyData.BalancedWeights, 8, null, default).Should().BePositive();

        groups.Select(trainer.BatchNormStatisticsChecksum).Should().Equal(statistics, "BatchNorm stays in eval mode");
        groups.Select(trainer.ParameterChecksum).Zip(weights, (after, before) => (After: after, Before: before)).Should()
            .OnlyContain(p => p.After != p.Before && double.IsFinite(p.After), "every group's weights moved");

        var checkpoint = Tmp.File("epoch-1.pt");
        var sha = trainer.SaveCheckpoint(checkpoint, 1);
        using var restored = Trainer();
        restored.LoadCheckpoint(checkpoint, sha).Should().Be(1);
        var input = new float[2 * 3 * 32 * 32];
        for (var i = 0; i < input.Length; i++) input[i] = (i % 97 - 48) * 0.5f;
        restored.Features(input, 2, 32, 32).Should().Equal(trainer.Features(input, 2, 32, 32));
    }

    [Fact]
    public void The_frozen_prefix_ends_at_the_first_trainable_group_and_is_cached()
    {
        using var trainer = Trainer(new FeatureCacheSettings(64L << 20, null));
        trainer.SetTrainable(0);
        var (split, stages) = trainer.FrozenPrefix;
        split.Should().Be(stages + 1, "with only the head trainable the whole backbone and its pooling are frozen");

        trainer.SetTrainable(2);
        var (partial, _) = trainer.FrozenPrefix;
        partial.Should().BeInRange(1, stages - 1);
        trainer.TrainEpoch(Data, Train, TinyData.BalancedWeights, 8, null, default);
        trainer.TakeFeatureCacheCounters();
        trainer.TrainEpoch(Data, Train, TinyData.BalancedWeights, 8, null, default);
        var counters = trainer.TakeFeatureCacheCounters();
        counters.Hits.Should().Be(Train.Length, "the second epoch reads every image's frozen-prefix output from the cache");
        counters.Misses.Should().Be(0);
    }
}
