using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CpuAllocatorCollection
{
    public const string Name = "CPU allocator (process-wide counters: alone)";
}

/// <summary>The engine's CPU tensor allocator keeps freed blocks and hands them out again, within its limit. Its
/// counters are the whole process's, so these tests run with no other test beside them.</summary>
[Collection(CpuAllocatorCollection.Name)]
public sealed class CpuAllocatorTests() : TinyDataTests(trainPerClass: 12, valPerClass: 5, size: 32, seed: 9)
{
    private static readonly InputSettings AugmentFirstClass = new(Normalization.Backbone, [true, false, false], 3);

    private void Epoch(TorchTrainer trainer, int epoch)
    {
        trainer.BeginEpoch(epoch);
        trainer.TrainEpoch(Data, Train, TinyData.BalancedWeights, 8, null, default);
        trainer.Evaluate(Data, Val, TinyData.BalancedWeights, 8, null, default);
    }

    [Fact]
    public void After_the_first_epoch_almost_every_tensor_of_an_epoch_reuses_a_kept_block()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("mobilenet_v2"));
        trainer.ConfigureInput(Data, Train, AugmentFirstClass);
        trainer.SetTrainable(2);
        Epoch(trainer, 1);
        var before = EngineInfo.CpuAllocator();
        Epoch(trainer, 2);
        var after = EngineInfo.CpuAllocator();

        var reused = after.Reused - before.Reused;
        var fresh = after.Fresh - before.Fresh;
        reused.Should().BeGreaterThan(1000, "an epoch of MobileNetV2 allocates thousands of tensors");
        fresh.Should().BeLessThan(reused / 50, "the second epoch has the first one's sizes");
        after.IdleBytes.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(after.IdleLimit);
    }

    [Fact]
    public void Lowering_the_limit_frees_the_kept_blocks_and_a_zero_limit_keeps_none_while_training_goes_on()
    {
        var limit = EngineInfo.CpuAllocator().IdleLimit;
        limit.Should().BeGreaterThan(0);
        using var trainer = TorchTrainer.Create(TinyData.Options("lightweight-cnn"));
        trainer.ConfigureInput(Data, Train, AugmentFirstClass);
        try
        {
            Epoch(trainer, 1);
            EngineInfo.SetCpuAllocatorIdleLimit(0);
            EngineInfo.CpuAllocator().IdleBytes.Should().Be(0);
            var before = EngineInfo.CpuAllocator();
            Epoch(trainer, 2);
            var after = EngineInfo.CpuAllocator();
            after.IdleBytes.Should().Be(0);
            (after.Reused - before.Reused).Should().Be(0);
            (after.Fresh - before.Fresh).Should().BeGreaterThan(0);
        }
        finally
        {
            EngineInfo.SetCpuAllocatorIdleLimit(limit);
        }
        FluentActions.Invoking(() => EngineInfo.SetCpuAllocatorIdleLimit(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
