using System.Diagnostics;
using Orchestrator.Domain.Data;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

public sealed class ThroughputBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void Training_images_per_second()
    {
        using var tmp = new TempDir();
        using var data = PackedDataset.Open(TinyData.Create(tmp.File("d"), trainPerClass: 86, valPerClass: 0, size: 64, seed: 1));
        int[] order = [.. data.IndicesOf(Splits.Train).Take(256)];
        foreach (var (arch, m) in new[] { ("mobilenet_v2", 7), ("mobilenet_v2", 0), ("lightweight-cnn", 4) })
        {
            using var trainer = TorchTrainer.Create(TinyData.Options(arch, inputSize: 64));
            trainer.SetTrainable(m);
            trainer.TrainEpoch(data, order[..64], TinyData.BalancedWeights, 32, null, default);  // warm-up: same batch shape
            var sw = Stopwatch.StartNew();
            trainer.TrainEpoch(data, order, TinyData.BalancedWeights, 32, null, default);
            var rate = order.Length / sw.Elapsed.TotalSeconds;
            output.WriteLine($"{arch} m={m} 64x64 batch 32, 2 threads: {rate:F1} training images/s");
            Console.WriteLine($"{arch} m={m} 64x64 batch 32, 2 threads: {rate:F1} training images/s");
        }
    }
}
