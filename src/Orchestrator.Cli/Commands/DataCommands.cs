using System.CommandLine;
using Orchestrator.Cluster.Sweeps;
using Orchestrator.Domain.Data;
using Orchestrator.Engine.Datasets;

namespace Orchestrator.Cli.Commands;

public static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "Datasets in the packed training format");
        data.Subcommands.Add(Synth());
        return data;
    }

    private static Command Synth()
    {
        var output = new Option<string>("--out") { Description = "Folder to create (must not exist)", Required = true };
        var images = new Option<int>("--images") { Description = "Number of images", DefaultValueFactory = _ => 840 };
        var size = new Option<int>("--size") { Description = "Stored image size in pixels (square)", DefaultValueFactory = _ => 64 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var command = new Command("synth", "Make a SYNTHETIC seven-class chest X-ray-like set with the paper's class proportions") { output, images, size, seed };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var dir = result.GetValue(output)!;
            var count = result.GetValue(images);
            var px = result.GetValue(size);
            if (count < 7 * 6) throw new InvalidInputException($"--images: {count} is too few (at least {7 * 6}: six per class)");
            if (px < 16 || px > 1024) throw new InvalidInputException($"--size: {px} is invalid (16 to 1024)");
            if (Directory.Exists(dir) || File.Exists(dir)) throw new InvalidInputException($"--out: '{dir}' already exists; choose a new folder");
            var manifest = SyntheticDatasetBuilder.Build(dir, count, px, result.GetValue(seed));
            Console.WriteLine($"wrote SYNTHETIC dataset {dir}: {manifest.Items.Count} images {manifest.Width}x{manifest.Height}, {manifest.Classes.Count} classes");
            foreach (var split in new[] { Splits.Train, Splits.Validation, Splits.Test })
                Console.WriteLine($"  {split,-5} {manifest.Items.Count(i => i.Split == split),5} images, {manifest.Items.Where(i => i.Split == split).Select(i => i.Patient).Distinct().Count(),5} patients");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }
}
