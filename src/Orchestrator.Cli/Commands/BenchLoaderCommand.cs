using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Datasets;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

namespace Orchestrator.Cli.Commands;

/// <summary><c>bench loader</c>, run by hand (figures in docs/benchmarks.md): the input pipeline against training.</summary>
public static class BenchLoaderCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "A packed dataset (default: a synthetic one made in a temporary folder)" };
        var stored = new Option<int>("--stored") { Description = "Stored size of the synthetic set", DefaultValueFactory = _ => 256 };
        var size = new Option<int>("--size") { Description = "Network input size", DefaultValueFactory = _ => 224 };
        var images = new Option<int>("--images") { Description = "Images per pass", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 32 };
        var arch = new Option<string>("--arch") { Description = "Backbone trained for the comparison", DefaultValueFactory = _ => "mobilenet_v2" };
        var threads = new Option<int>("--threads") { Description = "Native threads (0: all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("loader",
            "Images/s of the input pipeline alone (augmentation of every image + resize + normalization) vs training images/s of a backbone at the same size")
            { data, stored, size, images, batch, arch, threads };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var inputSize = result.GetValue(size);
            var count = result.GetValue(images);
            var batchSize = result.GetValue(batch);
            var backbone = result.GetValue(arch)!;
            if (!Backbones.Supported.Contains(backbone)) throw new InvalidInputException($"--arch: unknown backbone '{backbone}'");
            if (count < batchSize || batchSize < 1) throw new InvalidInputException("--images must be at least --batch, and --batch at least 1");

            var temp = result.GetValue(data) is null ? Path.Combine(Path.GetTempPath(), "orchestrator-bench-" + Guid.NewGuid().ToString("N")[..8]) : null;
            try
            {
                var path = result.GetValue(data) ?? temp!;
                if (temp is not null)
                {
                    Console.WriteLine($"making {count} SYNTHETIC images of {result.GetValue(stored)}x{result.GetValue(stored)} in {temp}");
                    SyntheticDatasetBuilder.Build(temp, Math.Max(count, 42), result.GetValue(stored), seed: 1);
                }
                using var dataset = PackedDataset.Open(path);
                var classes = dataset.Manifest.Classes.Count;
                var order = Enumerable.Range(0, count).Select(i => i % dataset.Count).ToArray();
                using var trainer = TorchTrainer.Create(new TrainerOptions(backbone, classes, inputSize, Optimizer.Adam, 1e-3, 1, result.GetValue(threads)));
                trainer.ConfigureInput(dataset, order, new InputSettings(Normalization.Backbone, Enumerable.Repeat(true, classes).ToArray(), 1));
                trainer.BeginEpoch(1);

                var pipeline = Measure(() =>
                {
                    for (var start = 0; start + batchSize <= count; start += batchSize)
                        trainer.PrepareBatch(dataset, order.AsSpan(start, batchSize), augment: true, start);
                }, count - count % batchSize);
                var weights = Enumerable.Repeat(1f, classes).ToArray();
                var head = Measure(() => trainer.TrainEpoch(dataset, order, weights, batchSize, null, ct), count);
                trainer.SetTrainable(trainer.GroupCount);
                var full = Measure(() => trainer.TrainEpoch(dataset, order, weights, batchSize, null, ct), count);

                var side = dataset.Manifest.Width;
                Console.WriteLine($"input {side}x{side} stored -> {inputSize}x{inputSize}, batch {batchSize}, {count} images, {Environment.ProcessorCount} cores");
                Console.WriteLine(Line("input pipeline (augment every image, resize, normalize)", pipeline, pipeline));
                Console.WriteLine(Line($"{backbone} training, head only (m = 0)", head, pipeline));
                Console.WriteLine(Line($"{backbone} training, all groups unfrozen", full, pipeline));
                return Task.FromResult(ExitCodes.Ok);
            }
            finally
            {
                if (temp is not null && Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            }
        }, ct));
        return command;
    }

    /// <summary>Images per second of <paramref name="pass"/> over <paramref name="images"/> images, best of two after a warm-up.</summary>
    private static double Measure(Action pass, int images)
    {
        pass();
        var best = double.MaxValue;
        for (var k = 0; k < 2; k++)
        {
            var watch = Stopwatch.StartNew();
            pass();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return images / best;
    }

    private static string Line(string what, double rate, double pipeline) =>
        string.Create(CultureInfo.InvariantCulture, $"  {what,-58} {rate,10:F1} images/s   pipeline / this = {pipeline / rate,6:F1}x");
}
