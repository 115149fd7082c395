using Orchestrator.Domain.Data;
using Orchestrator.Domain;
using Orchestrator.Engine.Datasets;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Cli.Planning;

/// <summary>The engine side of planning a sweep: its dataset opens and has every split, or is synthesized.</summary>
public static class SweepData
{
    /// <summary><see cref="SweepPlanner.Plan"/>, then the dataset, if present, is opened and checked. Touches nothing.</summary>
    public static PlannedSweep Plan(string yaml)
    {
        var sweep = SweepPlanner.Plan(yaml);
        if (File.Exists(Path.Combine(sweep.Spec.Data.Path, DatasetManifest.FileName)))
            Check(sweep.Spec.Data.Path);
        return sweep;
    }

    /// <summary>Makes the synthetic set the spec asks for, if it is not there yet.</summary>
    public static void Ensure(PlannedSweep sweep, IProgress<int>? progress = null)
    {
        var data = sweep.Spec.Data;
        if (File.Exists(Path.Combine(data.Path, DatasetManifest.FileName)) || data.Synthesize is null) return;
        SyntheticDatasetBuilder.Build(data.Path, data.Synthesize.Images, data.Synthesize.Size, data.Synthesize.Seed, progress);
    }

    private static void Check(string path)
    {
        try
        {
            using var data = PackedDataset.Open(path);
            foreach (var split in new[] { Splits.Train, Splits.Validation, Splits.Test })
                if (data.IndicesOf(split).Count == 0)
                    throw new InvalidInputException($"spec: data.path: dataset '{path}' has no images in split '{split}'");
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"spec: data.path: dataset '{path}' cannot be read: {ex.Message}");
        }
    }
}
