using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Interop;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Tests;

/// <summary>The frozen-prefix feature cache: the same figures with it and without it, never an augmented image from
/// it, and the cache moving with the frozen boundary.</summary>
public sealed class FeatureCacheTests() : TinyDataTests(trainPerClass: 12, valPerClass: 5, size: 32, seed: 4)
{
    // Class 0 is augmented in training (a "minority" class); classes 1 and 2 are not.
    private static readonly InputSettings AugmentFirstClass = new(Normalization.Backbone, [true, false, false], 11);

    private TorchTrainer Trainer(string arch, FeatureCacheSettings? cache)
    {
        var trainer = TorchTrainer.Create(TinyData.Options(arch) with { FeatureCache = cache });
        trainer.ConfigureInput(Data, Train, AugmentFirstClass);
        trainer.CalibrateBatchNorm(Data, Train, 8, null, default);
        trainer.TakeFeatureCacheCounters();
        return trainer;
    }

    private FeatureCacheSettings Memory => new(64L << 20, null);

    /// <summary>Epochs of training then validation; each epoch's train loss, validation loss, predictions and counters.</summary>
    private List<(double Train, double Val, int[] Predictions, FeatureCacheCounters Cache)> Run(TorchTrainer trainer, int epochs, int firstEpoch = 1)
    {
        var results = new List<(double, double, int[], FeatureCacheCounters)>();
        for (var epoch = firstEpoch; epoch < firstEpoch + epochs; epoch++)
        {
            trainer.BeginEpoch(epoch);
            var order = Train;
            new Random(epoch).Shuffle(order);
            var train = trainer.TrainEpoch(Data, order, TinyData.BalancedWeights, 8, null, default);
            var val = trainer.Evaluate(Data, Val, TinyData.BalancedWeights, 8, null, default);
            results.Add((train, val.Loss, val.Predictions, trainer.TakeFeatureCacheCounters()));
        }
        return results;
    }

    private int AugmentedTrainImages => Train.Count(i => Data.Labels[i] == 0);

    [Theory]
    [InlineData("lightweight-cnn", 0)]
    [InlineData("lightweight-cnn", 2)]
    [InlineData("mobilenet_v2", 0)]
    [InlineData("mobilenet_v2", 3)]
    public void Cache_on_and_off_give_the_same_losses_and_predictions_and_augmented_images_never_come_from_it(string arch, int m)
    {
        using var cached = Trainer(arch, Memory);
        using var plain = Trainer(arch, cache: null);
        cached.SetTrainable(m);
        plain.SetTrainable(m);

        var on = Run(cached, 3);
        var off = Run(plain, 3);

        for (var e = 0; e < on.Count; e++)
        {
            on[e].Train.Should().BeApproximately(off[e].Train, 1e-4 * Math.Abs(off[e].Train), $"epoch {e + 1}'s training loss");
            on[e].Val.Should().BeApproximately(off[e].Val, 1e-4 * Math.Abs(off[e].Val), $"epoch {e + 1}'s validation loss");
            on[e].Predictions.Should().Equal(off[e].Predictions);
            off[e].Cache.Should().Be(new FeatureCacheCounters(0, Train.Length + Val.Length), "without a cache every image runs through the frozen layers");
        }
        // Epoch 1 fills the cache (its validation pass already hits nothing: validation images were not seen yet).
        on[0].Cache.Should().Be(new FeatureCacheCounters(0, Train.Length + Val.Length));
        // Later: every image that is not augmented comes from the cache; the augmented ones never do.
        for (var e = 1; e < on.Count; e++)
            on[e].Cache.Should().Be(new FeatureCacheCounters(Train.Length - AugmentedTrainImages + Val.Length, AugmentedTrainImages));
    }

    [Fact]
    public void Unfreezing_moves_the_boundary_and_starts_the_cache_again_and_nothing_frozen_means_nothing_cached()
    {
        using var trainer = Trainer("lightweight-cnn", Memory);
        var (split, stages) = trainer.FrozenPrefix;
        split.Should().Be(stages + 1, "with m = 0 the whole backbone and its pooling are frozen");
        Run(trainer, 2);

        trainer.SetTrainable(2);
        trainer.FrozenPrefix.Split.Should().BeInRange(1, stages - 1);
        Run(trainer, 1, firstEpoch: 3).Single().Cache.Should().Be(new FeatureCacheCounters(0, Train.Length + Val.Length),
            "outputs at the old boundary are not outputs at the new one");

        trainer.SetTrainable(trainer.GroupCount);
        trainer.FrozenPrefix.Split.Should().Be(0);
        Run(trainer, 1, firstEpoch: 4).Single().Cache.Should().Be(default(FeatureCacheCounters), "there is no frozen prefix to cache");
    }

    [Fact]
    public void Restoring_the_best_weights_forgets_the_cached_outputs()
    {
        using var trainer = Trainer("lightweight-cnn", Memory);
        Run(trainer, 1);
        trainer.RememberBest();
        trainer.RestoreBest();
        Run(trainer, 1, firstEpoch: 2).Single().Cache.Hits.Should().Be(0);
    }

    [Fact]
    public void Over_its_memory_budget_the_cache_spills_to_disk_with_the_same_results_and_without_any_it_keeps_nothing()
    {
        using var spillDir = new TempDir();
        using var spilling = Trainer("lightweight-cnn", new FeatureCacheSettings(0, spillDir.Path));
        using var none = Trainer("lightweight-cnn", new FeatureCacheSettings(0, null));
        using var plain = Trainer("lightweight-cnn", cache: null);

        var spilled = Run(spilling, 2);
        var kept = Run(none, 2);
        var off = Run(plain, 2);

        spilled[1].Cache.Hits.Should().Be(Train.Length - AugmentedTrainImages + Val.Length, "the rows came back from the spill file");
        kept[1].Cache.Hits.Should().Be(0, "a budget of nothing, with no disk, keeps nothing");
        spilled[1].Val.Should().BeApproximately(off[1].Val, 1e-4 * off[1].Val);
        kept[1].Val.Should().BeApproximately(off[1].Val, 1e-4 * off[1].Val);
        Directory.EnumerateFileSystemEntries(spillDir.Path).Should().BeEmpty("the spill file is unlinked as soon as it is made");
    }

    [Fact]
    public void A_checkpoint_written_with_the_cache_loads_into_a_trainer_without_one_and_continues_identically()
    {
        using var cached = Trainer("lightweight-cnn", Memory);
        Run(cached, 2);
        var path = Tmp.File("ckpt.bin");
        var sha = cached.SaveCheckpoint(path, 2);
        using var plain = Trainer("lightweight-cnn", cache: null);
        plain.LoadCheckpoint(path, sha).Should().Be(2);

        var a = Run(cached, 1, firstEpoch: 3).Single();
        var b = Run(plain, 1, firstEpoch: 3).Single();
        a.Val.Should().BeApproximately(b.Val, 1e-4 * b.Val);
        a.Predictions.Should().Equal(b.Predictions);
    }
}

/// <summary>Devices: what this (CPU) build of libtorch offers, and the refusal of what it does not.</summary>
public sealed class DeviceTests
{
    [Fact]
    public void Engine_info_names_the_libtorch_version_and_a_cpu_build_has_no_cuda_devices()
    {
        var facts = EngineInfo.Facts();
        facts.LibtorchVersion.Should().MatchRegex(@"^\d+\.\d+\.\d+");
        if (!facts.CudaBuilt) facts.Devices.Should().BeEmpty();
        facts.CudaAvailable.Should().Be(facts.Devices.Count > 0);
    }

    [Fact]
    public void A_cuda_device_this_engine_lacks_is_refused_as_invalid_input_saying_why_and_the_cpu_is_accepted()
    {
        EngineInfo.CheckDevice(ComputeDevice.Cpu);
        var facts = EngineInfo.Facts();
        var missing = ComputeDevice.Cuda(facts.Devices.Count);
        var refusal = FluentActions.Invoking(() => EngineInfo.CheckDevice(missing)).Should().Throw<EngineException>().Which;
        refusal.InvalidInput.Should().BeTrue();
        refusal.Message.Should().Contain(missing.ToString()).And.Match(m =>
            m.Contains("without CUDA") || m.Contains("sees no GPU") || m.Contains("does not exist"));
        FluentActions.Invoking(() => TorchTrainer.Create(TinyData.Options() with { Device = missing }))
            .Should().Throw<EngineException>().Which.InvalidInput.Should().BeTrue();
    }
}
