using System.CommandLine;
using System.Text.Json;
using Orchestrator.Cli.Output;
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
            var side = result.GetValue(size) ?? info.DefaultInputSize;
            if (side < info.MinInputSize)
                throw new InvalidInputException($"--size: {info.Name} needs at least {info.MinInputSize}, got {side}");
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

    private static void Positive(string option, int value)
    {
        if (value < 1) throw new InvalidInputException($"{option} must be at least 1, got {value}");
    }
}
