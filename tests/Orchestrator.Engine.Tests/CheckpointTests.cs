using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Interop;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Tests;

public sealed class CheckpointTests() : TinyDataTests(trainPerClass: 16, valPerClass: 6, size: 32, seed: 2)
{
    private EvaluationResult Eval(ITrainer t) => t.Evaluate(Data, Val, TinyData.BalancedWeights, 16, null, default);
    private double Epoch(ITrainer t) => t.TrainEpoch(Data, Train, TinyData.BalancedWeights, 16, null, default);

    private static void ShouldMatch(EvaluationResult actual, EvaluationResult expected, double tolerance = 0)
    {
        actual.Loss.Should().BeApproximately(expected.Loss, tolerance);
        actual.Predictions.Should().Equal(expected.Predictions);
        for (var i = 0; i < expected.Probabilities.Length; i++)
            for (var c = 0; c < expected.Probabilities[i].Length; c++)
                actual.Probabilities[i][c].Should().BeApproximately(expected.Probabilities[i][c], (float)tolerance);
    }

    [Fact]
    public void Remember_and_restore_best_round_trip()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        trainer.Invoking(t => t.RestoreBest()).Should().Throw<EngineException>().WithMessage("*no best weights*");
        trainer.SetTrainable(2);
        Epoch(trainer);
        trainer.RememberBest();
        var best = Eval(trainer);
        var checksums = Enumerable.Range(0, 5).Select(trainer.ParameterChecksum).ToArray();

        Epoch(trainer);
        Eval(trainer).Loss.Should().NotBe(best.Loss);

        trainer.RestoreBest();
        ShouldMatch(Eval(trainer), best);
        Enumerable.Range(0, 5).Select(trainer.ParameterChecksum).Should().Equal(checksums);
    }

    [Fact]
    public void Checkpoint_round_trip_restores_weights_optimizer_and_epoch()
    {
        var path = Tmp.File("ckpt.pt");
        using var original = TorchTrainer.Create(TinyData.Options());
        original.SetTrainable(1);
        original.SetLearningRate(5e-4);
        Epoch(original);
        var sha = original.SaveCheckpoint(path, epoch: 3);
        sha.Should().MatchRegex("^[0-9a-f]{64}$").And.Be(TorchTrainer.Sha256Of(path));
        File.Exists(path + ".tmp").Should().BeFalse("the temp file is renamed over the target");
        var saved = Eval(original);

        using var restored = TorchTrainer.Create(TinyData.Options(seed: 99));
        Eval(restored).Loss.Should().NotBe(saved.Loss);
        restored.LoadCheckpoint(path, sha).Should().Be(3);
        ShouldMatch(Eval(restored), saved);
        restored.LearningRate.Should().Be(5e-4);
        restored.TrainableParameterCount.Should().Be(original.TrainableParameterCount);

        // Same Adam moments on both sides: one more epoch keeps them in step.
        Epoch(original);
        Epoch(restored);
        ShouldMatch(Eval(restored), Eval(original), tolerance: 1e-5);
    }

    [Fact]
    public void Best_weights_file_round_trip()
    {
        var path = Tmp.File("best.pt");
        using var original = TorchTrainer.Create(TinyData.Options());
        original.Invoking(t => t.SaveBest(path)).Should().Throw<EngineException>().WithMessage("*no best weights*");
        original.SetTrainable(4);
        Epoch(original);
        original.RememberBest();
        var best = Eval(original);
        var sha = original.SaveBest(path);

        using var other = TorchTrainer.Create(TinyData.Options(seed: 5));
        var before = Eval(other);
        other.LoadBest(path, sha);
        ShouldMatch(Eval(other), before);  // only the in-memory copy changes
        other.RestoreBest();
        ShouldMatch(Eval(other), best);
    }

    [Fact]
    public void A_captured_checkpoint_is_the_file_a_save_writes_and_loads_as_one()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        trainer.SetTrainable(1);
        Epoch(trainer);
        trainer.RememberBest();
        var checkpoint = trainer.CaptureCheckpoint(3)!;
        var best = trainer.CaptureBest()!;
        var checkpointPath = Tmp.File("ckpt.pt");
        var bestPath = Tmp.File("best.pt");
        checkpoint.Sha256.Should().Be(trainer.SaveCheckpoint(checkpointPath, 3));
        best.Sha256.Should().Be(trainer.SaveBest(bestPath));
        checkpoint.Bytes.ToArray().Should().Equal(File.ReadAllBytes(checkpointPath));
        best.Bytes.ToArray().Should().Equal(File.ReadAllBytes(bestPath));

        var captured = Tmp.File("captured.pt");
        File.WriteAllBytes(captured, checkpoint.Bytes.ToArray());
        using var restored = TorchTrainer.Create(TinyData.Options(seed: 99));
        restored.LoadCheckpoint(captured, checkpoint.Sha256).Should().Be(3);
        ShouldMatch(Eval(restored), Eval(trainer));
        // Taken before the epoch below, the capture still holds the weights of then.
        var before = Eval(trainer);
        Epoch(trainer);
        using var again = TorchTrainer.Create(TinyData.Options(seed: 7));
        again.LoadCheckpoint(captured, checkpoint.Sha256);
        ShouldMatch(Eval(again), before);
    }

    [Fact]
    public void A_tampered_checkpoint_fails_the_hash_check()
    {
        var path = Tmp.File("ckpt.pt");
        using var trainer = TorchTrainer.Create(TinyData.Options());
        var sha = trainer.SaveCheckpoint(path, 1);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(path, bytes);

        trainer.Invoking(t => t.LoadCheckpoint(path, sha)).Should().Throw<InvalidDataException>()
            .WithMessage($"*'{path}'*SHA-256*expected {sha}*");
        var bestPath = Tmp.File("best.pt");
        trainer.RememberBest();
        var bestSha = trainer.SaveBest(bestPath);
        trainer.Invoking(t => t.LoadBest(bestPath, new string('0', 64))).Should().Throw<InvalidDataException>()
            .WithMessage($"*'{bestPath}'*");
        trainer.LoadBest(bestPath, bestSha.ToUpperInvariant());
    }

    [Fact]
    public void A_truncated_checkpoint_fails_clearly_even_with_a_matching_hash()
    {
        var path = Tmp.File("ckpt.pt");
        using var trainer = TorchTrainer.Create(TinyData.Options());
        trainer.SaveCheckpoint(path, 1);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var before = Eval(trainer);
        trainer.Invoking(t => t.LoadCheckpoint(path, TorchTrainer.Sha256Of(path))).Should().Throw<EngineException>()
            .WithMessage($"*'{path}' is not a readable engine file (truncated or corrupt)*");
        ShouldMatch(Eval(trainer), before);
    }

    [Fact]
    public void A_checkpoint_of_another_architecture_or_class_count_is_refused()
    {
        var path = Tmp.File("ckpt.pt");
        using (var small = TorchTrainer.Create(TinyData.Options()))
            small.SaveCheckpoint(path, 1);
        var sha = TorchTrainer.Sha256Of(path);

        using var mobile = TorchTrainer.Create(TinyData.Options("mobilenet_v2"));
        mobile.Invoking(t => t.LoadCheckpoint(path, sha)).Should().Throw<EngineException>()
            .WithMessage("*holds a lightweight-cnn model, this trainer is mobilenet_v2*");

        using var twoClasses = TorchTrainer.Create(TinyData.Options() with { NumClasses = 2 });
        twoClasses.Invoking(t => t.LoadCheckpoint(path, sha)).Should().Throw<EngineException>()
            .WithMessage("*3 classes, this trainer has 2*");

        using var sgd = TorchTrainer.Create(TinyData.Options(optimizer: Optimizer.Sgd));
        sgd.Invoking(t => t.LoadCheckpoint(path, sha)).Should().Throw<EngineException>().WithMessage("*optimizer*");

        using var fresh = TorchTrainer.Create(TinyData.Options());
        fresh.RememberBest();
        var bestPath = Tmp.File("best.pt");
        var bestSha = fresh.SaveBest(bestPath);
        fresh.Invoking(t => t.LoadCheckpoint(bestPath, bestSha)).Should().Throw<EngineException>()
            .WithMessage("*is a orchestrator-engine-best file, expected orchestrator-engine-checkpoint*");
    }

    [Fact]
    public void A_missing_checkpoint_is_file_not_found()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options());
        trainer.Invoking(t => t.LoadCheckpoint(Tmp.File("nope.pt"), new string('0', 64)))
            .Should().Throw<FileNotFoundException>();
    }
}
