using System.CommandLine;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Engine.Models;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>Throughput measurements of the engine (run by hand; tests/benchmarks compares them with PyTorch).</summary>
public static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure the training engine and its input pipeline");
        bench.Subcommands.Add(EngineBench());
        bench.Subcommands.Add(EpochBench());
        bench.Subcommands.Add(BenchLoaderCommand.Create());
        return bench;
    }

    private static Command EngineBench()
    {
        var arch = ModelCommands.Arch();
        var size = new Option<int?>("--size") { Description = "Input side length (default: the architecture's)" };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 16 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var steps = new Option<int>("--steps") { Description = "Timed batches per pass", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed batches before each pass", DefaultValueFactory = _ => 1 };
        var json = CommonOptions.Json();
        var command = new Command("engine",
            "Training images/s (all groups trainable; backbone frozen), inference images/s and peak memory, on random data")
            { arch, size, batch, threads, steps, warmup, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var info = ArchitectureInfo.Get(result.GetValue(arch)!);
            var side = InputSide(info, result.GetValue(size));
            Positive("--batch", result.GetValue(batch));
            Positive("--threads", result.GetValue(threads));
            Positive("--steps", result.GetValue(steps));
            if (result.GetValue(warmup) < 0) throw new InvalidInputException("--warmup must not be negative");
            var r = EngineBenchmark.Run(info.Name, side, result.GetValue(batch), result.GetValue(threads),
                result.GetValue(steps), result.GetValue(warmup));
            var peakMiB = r.PeakRssKib / 1024.0;
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    architecture = r.Architecture, size = r.Size, batch = r.Batch, threads = r.Threads, steps = r.Steps,
                    trainAllImagesPerSecond = r.TrainAllImagesPerSecond,
                    trainHeadImagesPerSecond = r.TrainHeadImagesPerSecond,
                    inferenceImagesPerSecond = r.InferenceImagesPerSecond,
                    peakRssMiB = Math.Round(peakMiB, 1),
                    peakRssSource = "VmHWM of /proc/self/status (whole process)",
                }, Tables.Json));
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().AddColumns("architecture", "size", "batch", "threads", "train all (img/s)",
                "train head (img/s)", "inference (img/s)", "peak RSS (MiB, VmHWM)");
            table.AddRow(r.Architecture, r.Size.ToString(), r.Batch.ToString(), r.Threads.ToString(),
                r.TrainAllImagesPerSecond.ToString("F1"), r.TrainHeadImagesPerSecond.ToString("F1"),
                r.InferenceImagesPerSecond.ToString("F1"), peakMiB.ToString("F0"));
            AnsiConsole.Write(table);
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command EpochBench()
    {
        var arch = ModelCommands.Arch();
        var size = new Option<int?>("--size") { Description = "Input side length (default: the architecture's)" };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 32 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var train = new Option<int>("--train") { Description = "Training images per epoch", DefaultValueFactory = _ => 560 };
        var val = new Option<int>("--val") { Description = "Validation images per epoch", DefaultValueFactory = _ => 70 };
        var unfrozen = new Option<string>("--unfrozen") { Description = "Trainable groups m: a number, half (L/2, rounded down) or all (L)", DefaultValueFactory = _ => "0" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (the first fills the cache; the others are averaged)", DefaultValueFactory = _ => 3 };
        var noCache = new Option<bool>("--no-feature-cache") { Description = "Run every image through the frozen layers" };
        var json = CommonOptions.Json();
        var command = new Command("epoch",
            "Seconds per epoch (training, then validation) on random data whose never-augmented classes are 70% of it, with m groups trainable")
            { arch, size, batch, threads, train, val, unfrozen, epochs, noCache, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var info = ArchitectureInfo.Get(result.GetValue(arch)!);
            var side = InputSide(info, result.GetValue(size));
            foreach (var (name, option) in new[] { ("--batch", batch), ("--threads", threads), ("--train", train), ("--val", val) })
                Positive(name, result.GetValue(option));
            if (result.GetValue(epochs) < 2) throw new InvalidInputException("--epochs must be at least 2 (the first fills the cache)");
            var m = result.GetValue(unfrozen) is "half" ? info.Groups / 2
                : result.GetValue(unfrozen) is "all" ? info.Groups
                : int.TryParse(result.GetValue(unfrozen), out var given) && given >= 0 && given <= info.Groups ? given
                : throw new InvalidInputException($"--unfrozen: '{result.GetValue(unfrozen)}' is not half, all or a number from 0 to {info.Groups}");
            var r = EpochBenchmarkResult.Run(info.Name, side, result.GetValue(batch), result.GetValue(threads), result.GetValue(train),
                result.GetValue(val), m, !result.GetValue(noCache), result.GetValue(epochs));
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(r, Tables.Json));
                return Task.FromResult(ExitCodes.Ok);
            }
            Console.WriteLine($"{r.Architecture} at {r.Size} px, m = {r.Unfrozen} of {info.Groups}, feature cache {(r.FeatureCache ? "on" : "off")}: " +
                              $"first epoch {r.FirstEpochSeconds:F2} s, later epochs {r.LaterEpochSeconds:F2} s " +
                              $"(last epoch: {r.LastEpochHits} cache hits, {r.LastEpochMisses} misses)");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static int InputSide(ArchitectureInfo info, int? size)
    {
        var side = size ?? info.DefaultInputSize;
        return side >= info.MinInputSize ? side
            : throw new InvalidInputException($"--size: {info.Name} needs at least {info.MinInputSize}, got {side}");
    }

    private static void Positive(string option, int value)
    {
        if (value < 1) throw new InvalidInputException($"{option} must be at least 1, got {value}");
    }
}
