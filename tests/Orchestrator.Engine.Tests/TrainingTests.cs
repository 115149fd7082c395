using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Interop;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Tests;

public sealed class TrainingTests() : TinyDataTests(trainPerClass: 32, valPerClass: 10, size: 32, seed: 1)
{

    [Fact]
    public void Lightweight_cnn_learns_an_easy_separable_set()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        trainer.SetTrainable(trainer.GroupCount);
        var before = trainer.Evaluate(Data, Val, TinyData.BalancedWeights, 16, null, default);

        var rng = new Random(3);
        var trainLosses = new List<double>();
        for (var epoch = 0; epoch < 4; epoch++)
        {
            var order = Train;
            rng.Shuffle(order);
            trainLosses.Add(trainer.TrainEpoch(Data, order, TinyData.BalancedWeights, 16, null, default));
        }
        var after = trainer.Evaluate(Data, Val, TinyData.BalancedWeights, 16, null, default);

        var accuracy = after.Predictions.Zip(Val, (p, i) => p == Data.Labels[i]).Count(ok => ok) / (double)Val.Length;
        accuracy.Should().BeGreaterThanOrEqualTo(0.9);
        after.Loss.Should().BeLessThan(before.Loss * 0.5);
        trainLosses[^1].Should().BeLessThan(trainLosses[0]);
        after.Probabilities.Should().HaveCount(Val.Length)
            .And.AllSatisfy(p => p.Sum().Should().BeApproximately(1f, 1e-4f));
    }

    [Theory]
    [InlineData("lightweight-cnn", 0)]
    [InlineData("lightweight-cnn", 1)]
    [InlineData("lightweight-cnn", 4)]
    [InlineData("mobilenet_v2", 2)]
    [InlineData("mobilenet_v2", 7)]
    public void An_epoch_changes_only_the_head_and_the_deepest_m_groups_and_never_batchnorm_statistics(string arch, int m)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options(arch));
        BackboneGroupChecks.AssertEpochChangesOnlyTheHeadAndTheDeepestGroups(trainer, Data, Train[..32], m);
    }

    [Theory]
    [InlineData("lightweight-cnn")]
    [InlineData("mobilenet_v2")]
    public void Batchnorm_calibration_sets_the_statistics_from_the_given_images_only_and_leaves_weights_alone(string arch)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options(arch));
        var groups = trainer.GroupCount;
        var initial = Enumerable.Range(0, groups).Select(trainer.BatchNormStatisticsChecksum).ToArray();
        var weights = Enumerable.Range(0, groups + 1).Select(trainer.ParameterChecksum).ToArray();
        var calls = 0;

        trainer.CalibrateBatchNorm(Data, Train[..40], 16, _ => calls++, default);
        var first = Enumerable.Range(0, groups).Select(trainer.BatchNormStatisticsChecksum).ToArray();
        trainer.CalibrateBatchNorm(Data, Train[..40], 16, null, default);
        var again = Enumerable.Range(0, groups).Select(trainer.BatchNormStatisticsChecksum).ToArray();
        trainer.CalibrateBatchNorm(Data, Train[40..80], 16, null, default);
        var other = Enumerable.Range(0, groups).Select(trainer.BatchNormStatisticsChecksum).ToArray();

        calls.Should().Be(3, "40 images in batches of 16");
        first.Should().NotEqual(initial);
        again.Should().Equal(first, "calibration starts afresh: a cumulative average over the images given");
        other.Should().NotEqual(first);
        Enumerable.Range(0, groups + 1).Select(trainer.ParameterChecksum).Should().Equal(weights);

        trainer.TrainEpoch(Data, Train[..32], TinyData.BalancedWeights, 16, null, default);
        Enumerable.Range(0, groups).Select(trainer.BatchNormStatisticsChecksum).Should().Equal(other, "training keeps them fixed");
    }

    [Fact]
    public void Trainers_built_at_the_same_time_on_several_threads_get_the_same_seeded_weights()
    {
        var checksums = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            using var trainer = TorchTrainer.Create(TinyData.Options("mobilenet_v2"));
            checksums.Add(string.Join(",", Enumerable.Range(0, trainer.GroupCount + 1).Select(g => trainer.ParameterChecksum(g).ToString("R"))));
        });
        checksums.Distinct().Should().ContainSingle("the initialisation depends on the seed alone");
    }

    [Fact]
    public void Unfreezing_more_groups_increases_the_trainable_parameter_count()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("mobilenet_v2"));
        trainer.GroupCount.Should().Be(7);
        EngineInfo.GroupCount("mobilenet_v2").Should().Be(7);
        EngineInfo.GroupCount("lightweight-cnn").Should().Be(4);
        var counts = Enumerable.Range(0, 8).Select(m => { trainer.SetTrainable(m); return trainer.TrainableParameterCount; }).ToArray();
        counts[0].Should().Be(1280 * 3 + 3, "only the head is trainable at m = 0");
        counts.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        counts[7].Should().Be(2_223_872 + 1280 * 3 + 3, "torchvision's mobilenet_v2 features have 2,223,872 parameters");
        trainer.Invoking(t => t.SetTrainable(8)).Should().Throw<EngineException>().WithMessage("*[0, 7]*");
    }

    [Fact]
    public void Progress_is_reported_after_every_batch()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        var seen = new List<BatchProgress>();
        var loss = trainer.TrainEpoch(Data, Train[..40], TinyData.BalancedWeights, 16, seen.Add, default);
        seen.Select(p => p.BatchesDone).Should().Equal(1, 2, 3);
        seen.Should().AllSatisfy(p => p.BatchesTotal.Should().Be(3));
        seen[^1].RunningLoss.Should().BeApproximately(loss, 1e-9);

        var evalSeen = new List<BatchProgress>();
        trainer.Evaluate(Data, Val, TinyData.BalancedWeights, 8, evalSeen.Add, default);
        evalSeen.Select(p => p.BatchesDone).Should().Equal(1, 2, 3, 4);
    }

    [Fact]
    public void Cancellation_is_observed_between_batches()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        using var cts = new CancellationTokenSource();
        var batches = 0;
        var act = () => trainer.TrainEpoch(Data, Train, TinyData.BalancedWeights, 8, p =>
        {
            batches = p.BatchesDone;
            if (p.BatchesDone == 2) cts.Cancel();
        }, cts.Token);
        act.Should().Throw<OperationCanceledException>();
        batches.Should().Be(2);

        var evaluate = () => trainer.Evaluate(Data, Val, TinyData.BalancedWeights, 8, null, cts.Token);
        evaluate.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void An_exception_in_the_progress_callback_stops_the_pass_and_surfaces()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        var calls = 0;
        var act = () => trainer.TrainEpoch(Data, Train, TinyData.BalancedWeights, 8, _ =>
        {
            calls++;
            throw new InvalidOperationException("boom");
        }, default);
        act.Should().Throw<InvalidOperationException>().WithMessage("boom");
        calls.Should().Be(1);
    }

    [Fact]
    public void Bad_arguments_fail_with_the_native_message()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        trainer.Invoking(t => t.TrainEpoch(Data, [0, 9999], TinyData.BalancedWeights, 8, null, default))
            .Should().Throw<EngineException>().WithMessage("*sample index 9999*outside the dataset*");
        trainer.Invoking(t => t.Evaluate(Data, Val, [1f, 1f], 8, null, default))
            .Should().Throw<EngineException>().WithMessage("*class weights*2*3 classes*");
        trainer.Invoking(t => t.SetLearningRate(-1))
            .Should().Throw<EngineException>().WithMessage("*learning rate*");
    }

    [Fact]
    public void Images_are_resized_when_the_stored_size_differs_from_the_input_size()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options(inputSize: 48));
        trainer.SetTrainable(trainer.GroupCount);
        var before = trainer.Evaluate(Data, Val, TinyData.BalancedWeights, 16, null, default);
        for (var epoch = 0; epoch < 2; epoch++)
            trainer.TrainEpoch(Data, Train, TinyData.BalancedWeights, 16, null, default);
        trainer.Evaluate(Data, Val, TinyData.BalancedWeights, 16, null, default).Loss.Should().BeLessThan(before.Loss);
    }

    [Fact]
    public void A_disposed_trainer_cannot_be_used()
    {
        var trainer = TorchTrainer.Create(TinyData.Options());
        trainer.Dispose();
        trainer.Invoking(t => t.SetTrainable(1)).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Unknown_architecture_is_an_engine_exception_with_the_native_message()
    {
        var act = () => TorchTrainer.Create(TinyData.Options("resnet9000"));
        act.Should().Throw<EngineException>()
            .WithMessage($"unknown architecture 'resnet9000' (supported: {string.Join(", ", Orchestrator.Domain.Specs.Backbones.Known.Order(StringComparer.Ordinal))})",
                "the engine implements exactly the backbones a spec may name");
    }

    [Fact]
    public void Learning_rate_can_be_set_and_read()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options(optimizer: Optimizer.Sgd, lr: 0.01));
        trainer.LearningRate.Should().Be(0.01);
        trainer.SetLearningRate(0.005);
        trainer.ResetOptimizer();
        trainer.LearningRate.Should().Be(0.005);
        trainer.TrainEpoch(Data, Train[..16], TinyData.BalancedWeights, 8, null, default).Should().BePositive();
    }
}
