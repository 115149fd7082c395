using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Catalogue;
using Orchestrator.Domain;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Models;
using Orchestrator.Engine.Models.Onnx;
using Orchestrator.Engine.Training;
using Orchestrator.Files;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Cli.Commands;

/// <summary>`model export TRIAL_ID --onnx FILE --state-dict FILE`: a trial's best weights, backbone and head, for
/// deployment (docs/onnx.md, "Exporting a trial").</summary>
public static class ModelExportCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("trial-id") { Description = "Trial id (t-...)" };
        var onnx = new Option<string>("--onnx") { Description = "ONNX file to write: the eval-mode network, input N x 3 x S x S normalized, output logits" };
        var stateDict = new Option<string>("--state-dict")
        {
            Description = "PyTorch file to write: torchvision's parameter names (resnet50, densenet121, mobilenet_v2, efficientnet_v2_s, inception_v3, vgg16), timm's legacy_xception's for xception",
        };
        var store = CommonOptions.Store();
        var command = new Command("export", "Write a trial's best weights (backbone and head) as ONNX and/or a PyTorch state dict (torchvision's, timm's for xception)")
            { id, onnx, stateDict, store };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var onnxFile = result.GetValue(onnx);
            var ptFile = result.GetValue(stateDict);
            if (onnxFile is null && ptFile is null) throw new InvalidInputException("model export needs --onnx FILE, --state-dict FILE or both");
            if (onnxFile is not null && ptFile is not null && Path.GetFullPath(onnxFile) == Path.GetFullPath(ptFile))
                throw new InvalidInputException("--onnx and --state-dict must name different files");
            var trialId = TrialId.Parse(result.GetValue(id));

            await using var session = await StoreSession.OpenExistingAsync(result.GetValue(store)!, ct);
            var trial = await BestOf(session, trialId, ct);
            if (ptFile is not null && TorchTrainer.TorchvisionRefusal(trial.Spec.Backbone, trial.Spec.InputSize) is { } why)
                throw new InvalidInputException($"--state-dict: no PyTorch counterpart of {trial.Spec.Backbone}: {why}; nothing was written");
            foreach (var file in new[] { onnxFile, ptFile }.OfType<string>()) EnsureWritable(file);

            var classes = ClassNames(trial);
            using var trainer = TorchTrainer.Create(new TrainerOptions(trial.Spec.Backbone, classes.Count, trial.Spec.InputSize,
                trial.Spec.Optimizer, trial.Spec.LearningRate, (ulong)trial.Spec.Seed));
            trainer.LoadBest(trial.BestFile, trial.State.BestSha256!);
            var model = onnxFile is null ? null : OnnxModel(trainer, trialId, trial, classes);
            if (ptFile is not null) Written(ptFile, () => DurableFileSystem.WriteAtomically(ptFile, trainer.ExportStateDict));
            if (model is not null) Written(onnxFile!, () => OnnxExport.Save(model, onnxFile!));
            var what = string.Join(" and ", new[] { onnxFile, ptFile }.OfType<string>());
            Console.WriteLine($"exported trial {trialId} ({trial.Spec.Backbone}, {classes.Count} classes, best epoch {trial.State.BestEpoch}, input {trial.Spec.InputSize}x{trial.Spec.InputSize}) -> {what}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private sealed record BestWeights(TrialSpec Spec, TrialState State, string BestFile, string? DatasetDirectory);

    /// <summary>The trial's spec, state and best-weights file (fetched from the store when checkpoints live there).</summary>
    private static async Task<BestWeights> BestOf(StoreSession session, TrialId trialId, CancellationToken ct)
    {
        var record = await session.Store.GetTrialAsync(trialId, ct)
            ?? throw new InvalidInputException($"no trial '{trialId}' in this store (see `orchestrator sweep status SWEEP`); nothing was written");
        var state = TrialEvolution.Replay(await session.Journal.EffectiveAsync(trialId.Value, ct));
        if (state.BestCheckpoint is not { } best || state.BestSha256 is null)
            throw new InvalidInputException($"trial {trialId} has no best checkpoint (no epoch has improved its validation loss yet); nothing was written");
        var location = session.Location;
        var artifacts = new TrialArtifacts(location.ArtifactRoot, trialId.Value, location.CheckpointsInStore ? session.Store as IArtifactBlobs : null);
        if (location.CheckpointsInStore) artifacts.EnsureExists();
        await artifacts.FetchAsync([(best, state.BestSha256)], ct);
        var path = artifacts.PathOf(best);
        if (!File.Exists(path))
            throw new InvalidInputException($"trial {trialId}: its best checkpoint {path} is missing; nothing was written");
        var spec = TrialSpecJson.Deserialize(record.SpecJson);
        return new BestWeights(spec, state, path, Directory.Exists(spec.Data.Path) ? spec.Data.Path : null);
    }

    private static IReadOnlyList<string> ClassNames(BestWeights trial)
    {
        if (trial.State.Result?.ClassNames is { Length: > 0 } names) return names;
        if (trial.DatasetDirectory is { } dir) return [.. ReadManifest(dir).Classes];
        throw new InvalidInputException($"cannot tell the classes of the trial: it has not completed and its dataset {trial.Spec.Data.Path} is not there; nothing was written");
    }

    private static DatasetManifest ReadManifest(string dir) =>
        ManifestJson.Deserialize(File.ReadAllText(Path.Combine(dir, DatasetManifest.FileName)));

    private static global::Onnx.ModelProto OnnxModel(TorchTrainer trainer, TrialId trialId, BestWeights trial, IReadOnlyList<string> classes)
    {
        var (graph, tensors) = trainer.ExportGraph();
        var spec = trial.Spec;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["trial_id"] = trialId.Value,
            ["backbone"] = spec.Backbone,
            ["best_epoch"] = trial.State.BestEpoch.ToString(CultureInfo.InvariantCulture),
            ["class_names"] = JsonSerializer.Serialize(classes),
            ["input_size"] = spec.InputSize.ToString(CultureInfo.InvariantCulture),
            ["normalization"] = spec.Normalization.ToSpecString(),
        };
        if (Normalize(trial) is { } n)
        {
            metadata["mean"] = Triple(n.Mean);
            metadata["std"] = Triple(n.Std);
        }
        metadata["preprocessing"] = Preprocessing(spec);
        return OnnxExport.Build(graph, tensors, classes.Count, metadata);
    }

    /// <summary>The per-channel normalization of pixels in [0, 1] the trial trained with; null for adaptive, which is
    /// per image.</summary>
    private static (IReadOnlyList<float> Mean, IReadOnlyList<float> Std)? Normalize(BestWeights trial)
    {
        switch (trial.Spec.Normalization)
        {
            case Normalization.Backbone:
                var info = ArchitectureInfo.Get(trial.Spec.Backbone);
                return (info.Mean, info.Std);
            case Normalization.Scaling:
                return ([0f, 0f, 0f], [1f, 1f, 1f]);
            case Normalization.ZScore:
                var dir = trial.DatasetDirectory ?? throw new InvalidInputException(
                    $"the trial normalizes by its training pixels' mean and std (zscore), and its dataset {trial.Spec.Data.Path} is not there; nothing was written");
                using (var data = PackedDataset.Open(dir))
                {
                    var train = data.Manifest.Items.Where(i => i.Split == Splits.Train).Select(i => i.Index).ToArray();
                    var (mean, std) = data.PixelStatistics(train);
                    return ([(float)mean, (float)mean, (float)mean], [(float)std, (float)std, (float)std]);
                }
            default:
                return null;
        }
    }

    private static string Preprocessing(TrialSpec spec) =>
        $"grey image resized to {spec.InputSize}x{spec.InputSize} (bilinear), pixels scaled to [0, 1], replicated to 3 channels, " +
        (spec.Normalization == Normalization.Adaptive
            ? "then per image: windowed to the central 80% x 80% region's 2nd..98th percentiles and clipped to [0, 1], minus that region's mean, divided by its standard deviation (docs/engine.md, Input pipeline)"
            : "then (x - mean) / std per channel; input N x 3 x H x W float32, output logits N x classes (softmax for probabilities)");

    private static string Triple(IReadOnlyList<float> v) => string.Join(",", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>Refuses, before anything is written, an output whose folder is missing or not writable.</summary>
    private static void EnsureWritable(string file)
    {
        var full = Path.GetFullPath(file);
        var dir = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full)) throw new InvalidInputException($"'{file}' is a directory; nothing was written");
        if (!Directory.Exists(dir)) throw new InvalidInputException($"cannot write '{file}': no directory {dir}; nothing was written");
        var probe = Path.Combine(dir, $".{Path.GetFileName(full)}.probe-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe)) { }
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new InvalidInputException($"cannot write '{file}': {ex.Message}; nothing was written");
        }
    }

    private static void Written(string file, Action write)
    {
        try
        {
            write();
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new InvalidInputException($"cannot write '{file}': {ex.Message}");
        }
    }
}
