using System.CommandLine;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Data.Ingest;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Ingest;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

public static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "Datasets in the packed training format");
        data.Subcommands.Add(Synth());
        data.Subcommands.Add(Ingest());
        data.Subcommands.Add(Show());
        return data;
    }

    private static Command Ingest()
    {
        var source = new Option<string>("--source") { Description = "A folder with one subfolder per class, or a CSV with path,label,patient_id", Required = true };
        var output = new Option<string>("--out") { Description = "Dataset folder to create (an existing one made from the same source is left as it is)", Required = true };
        var size = new Option<int>("--size") { Description = "Stored image size in pixels (square)", DefaultValueFactory = _ => 1024 };
        var seed = new Option<int>("--seed") { Description = "Seed of the patient split", DefaultValueFactory = _ => 1 };
        var split = new Option<string>("--split") { Description = "train/val/test percentages, by patient", DefaultValueFactory = _ => "80/10/10" };
        var classes = new Option<string?>("--classes") { Description = "Comma-separated class list in label order (default: the labels found)" };
        var pattern = new Option<string?>("--patient-pattern") { Description = "Regular expression on the file's relative path whose first group is the patient id (for sources without one)" };
        var intensity = new Option<string>("--intensity") { Description = "16-bit images (and DICOM without a window) to 8 bits: minmax or percentile (0.5-99.5%)", DefaultValueFactory = _ => "minmax" };
        var threads = new Option<int>("--threads") { Description = "Decoding threads (0: one per core)", DefaultValueFactory = _ => 0 };
        var command = new Command("ingest", "Quality-check, decode, resize and pack real chest X-ray images, split by patient")
            { source, output, size, seed, split, classes, pattern, intensity, threads };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            OutputFolder.EnsureWritable(result.GetValue(output)!, "--out");
            var options = new IngestOptions(
                Source: result.GetValue(source)!,
                Output: result.GetValue(output)!,
                Size: result.GetValue(size),
                Seed: result.GetValue(seed),
                Split: SplitRatios.Parse(result.GetValue(split)!),
                Classes: result.GetValue(classes)?.Split(','),
                PatientPattern: result.GetValue(pattern),
                Intensity: result.GetValue(intensity) switch
                {
                    "minmax" => Intensity.MinMax,
                    "percentile" => Intensity.Percentile,
                    var other => throw new InvalidInputException($"--intensity: '{other}' is not minmax or percentile"),
                },
                Threads: result.GetValue(threads));
            var outcome = ProgressDisplay.Run(progress => DatasetIngestor.Run(options, progress, ct));
            if (outcome.UpToDate)
                Console.WriteLine($"{options.Output} is up to date (made from this source with these options); nothing written");
            else
                Console.WriteLine($"wrote dataset {options.Output}: {outcome.Manifest.Items.Count} images {options.Size}x{options.Size}, {outcome.Manifest.Classes.Count} classes");
            AnsiConsole.Write(DataTables.Qc(outcome.Qc));
            AnsiConsole.Write(DataTables.Splits(outcome.Manifest));
            if (outcome.Qc.ConflictingPatients.Count > 0)
                Console.WriteLine($"{outcome.Qc.ConflictingPatients.Count} patient(s) have images with different labels (kept; see {QcReport.JsonFileName})");
            Console.WriteLine($"patient ids: {outcome.Manifest.Provenance?.PatientIds}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Show()
    {
        var dir = new Argument<string>("DIR") { Description = "A packed dataset folder" };
        var json = CommonOptions.Json();
        var command = new Command("show", "Summary of a packed dataset: classes, images per split, size, source, QC") { dir, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var summary = DatasetSummary.Load(result.GetValue(dir)!);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(summary, Tables.Json));
                return Task.FromResult(ExitCodes.Ok);
            }
            var m = summary.Manifest;
            Console.WriteLine($"{summary.Directory}: {(m.Synthetic ? "SYNTHETIC" : "real")} dataset, {m.Items.Count} images {m.Width}x{m.Height}, {m.Classes.Count} classes, {summary.Patients} patients");
            Console.WriteLine($"made by: {m.CreatedBy}; source hash {m.SourceHash[..Math.Min(16, m.SourceHash.Length)]}");
            if (m.Provenance is { } p)
            {
                Console.WriteLine($"source: {p.Source} ({p.Layout}); split {p.Split} by patient, seed {p.Seed}; 16-bit intensity: {p.Intensity}");
                Console.WriteLine($"patient ids: {p.PatientIds}");
            }
            AnsiConsole.Write(DataTables.Splits(m));
            if (summary.Qc is { } qc) AnsiConsole.Write(DataTables.Qc(qc));
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
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
            OutputFolder.EnsureWritable(dir, "--out");
            var manifest = SyntheticDatasetBuilder.Build(dir, count, px, result.GetValue(seed));
            Console.WriteLine($"wrote SYNTHETIC dataset {dir}: {manifest.Items.Count} images {manifest.Width}x{manifest.Height}, {manifest.Classes.Count} classes");
            foreach (var split in new[] { Splits.Train, Splits.Validation, Splits.Test })
                Console.WriteLine($"  {split,-5} {manifest.Items.Count(i => i.Split == split),5} images, {manifest.Items.Where(i => i.Split == split).Select(i => i.Patient).Distinct().Count(),5} patients");
            AnsiConsole.Write(DataTables.Splits(manifest));
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }
}
