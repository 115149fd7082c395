using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Engine.Interop;
using Orchestrator.Engine.Models;
using Orchestrator.Engine.Models.Onnx;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>Backbone architectures and their weights: list, import a PyTorch state dict or an ONNX CNN, import the
/// bundled ImageNet ResNet-18, forward an input, export a trial's best weights (<see cref="ModelExportCommand"/>).</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var model = new Command("model", "Backbone architectures and pretrained weights");
        model.Subcommands.Add(Architectures());
        model.Subcommands.Add(Import());
        model.Subcommands.Add(Forward());
        model.Subcommands.Add(Pretrained());
        model.Subcommands.Add(ModelExportCommand.Create());
        return model;
    }

    public static Option<string> Arch() => new("--arch") { Description = "Backbone architecture (see `model architectures`)", Required = true };

    private static Command Architectures()
    {
        var json = CommonOptions.Json();
        var command = new Command("architectures", "The backbones: layer groups, input sizes, normalization") { json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var all = ArchitectureInfo.All();
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(all, Tables.Json));
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().AddColumns("architecture", "groups", "default size", "min size", "mean", "std", "ImageNet classifier");
            foreach (var a in all)
                table.AddRow(a.Name, a.Groups.ToString(), a.DefaultInputSize.ToString(), a.MinInputSize.ToString(),
                    string.Join(", ", a.Mean), string.Join(", ", a.Std), a.HasReferenceClassifier ? "yes" : "no");
            AnsiConsole.Write(table);
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Import()
    {
        var arch = new Option<string>("--arch") { Description = "Backbone architecture (see `model architectures`), with --state-dict" };
        var stateDict = new Option<string>("--state-dict")
        {
            Description = "PyTorch state dict saved with torch.save(dict(model.state_dict()), FILE)",
        };
        var output = new Option<string>("--out") { Description = "Weights file to write (atomically), with --state-dict" };
        var onnx = new Option<string>("--onnx") { Description = "An ONNX file of a CNN, imported as a new backbone (docs/onnx.md)" };
        var name = new Option<string>("--name") { Description = "Name of the new backbone, as specs will name it (with --onnx)" };
        var groups = new Option<string>("--groups")
        {
            Description = "Node names, comma-separated, each ending a layer group (default: a group per stride-2 stage)",
        };
        var inputSize = new Option<int?>("--input-size") { Description = "Input side the weights expect (default: the model's, else 224)" };
        var mean = new Option<string>("--mean") { Description = "Per-channel mean of pixels in [0, 1], a,b,c (default: the model's metadata, else ImageNet's)" };
        var std = new Option<string>("--std") { Description = "Per-channel std of pixels in [0, 1], a,b,c (with --mean)" };
        var command = new Command("import",
            "Check a PyTorch state dict against an architecture and write the engine's weights file; or, with --onnx, import an ONNX CNN as a backbone")
            { arch, stateDict, output, onnx, name, groups, inputSize, mean, std };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            if (result.GetValue(onnx) is { } onnxFile)
            {
                if (result.GetValue(arch) is not null || result.GetValue(stateDict) is not null || result.GetValue(output) is not null)
                    throw new InvalidInputException("--onnx imports a new backbone: --arch, --state-dict and --out belong to a state dict import");
                var options = new ImportOptions(result.GetValue(inputSize), Names(result.GetValue(groups)),
                    Triple(result.GetValue(mean), "--mean"), Triple(result.GetValue(std), "--std"));
                if (options.Mean is null != options.Std is null) throw new InvalidInputException("--mean and --std go together");
                if (options.Std?.Any(v => !(v > 0)) == true) throw new InvalidInputException("--std: every value must be > 0");
                var model = ImportOnnx(onnxFile, result.GetValue(name) ?? throw new InvalidInputException("--onnx needs --name NAME"), options);
                Console.WriteLine(Describe(model));
                return Task.FromResult(ExitCodes.Ok);
            }
            if (result.GetValue(name) is not null || result.GetValue(groups) is not null || result.GetValue(inputSize) is not null
                || result.GetValue(mean) is not null || result.GetValue(std) is not null)
                throw new InvalidInputException("--name, --groups, --input-size, --mean and --std belong to an ONNX import (--onnx FILE)");
            var source = result.GetValue(stateDict);
            var target = result.GetValue(output);
            if (result.GetValue(arch) is not { } architecture || source is null || target is null)
                throw new InvalidInputException("model import needs --arch, --state-dict and --out (or --onnx FILE --name NAME)");
            if (Path.GetFullPath(source) == Path.GetFullPath(target))
                throw new InvalidInputException("--out must differ from --state-dict");
            using var weights = NothingWritten(() => BackboneWeights.Open(architecture, source));
            weights.Save(target);
            var classifier = weights.ClassifierTensors == 0
                ? "no ImageNet classifier"
                : $"ImageNet classifier kept apart ({weights.ClassifierTensors} tensors, {weights.ImageNetClasses} classes)";
            var ignored = weights.IgnoredTensors == 0 ? "" : $", {weights.IgnoredTensors} auxiliary tensors dropped";
            Console.WriteLine($"imported {weights.Architecture} from {source}: {weights.BackboneTensors} backbone tensors, {classifier}{ignored} -> {target}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    /// <summary>The backbone `model pretrained` imports.</summary>
    public const string PretrainedName = "resnet18-imagenet";

    private static Command Pretrained()
    {
        var command = new Command("pretrained",
            $"Import the ImageNet ResNet-18 the build bundles (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18, MIT) as the backbone {PretrainedName}, once");
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            if (!EnsurePretrained(Console.WriteLine))
                Console.WriteLine($"{PretrainedName} is already imported ({ModelLibrary.Default().PathOf(PretrainedName)})");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    /// <summary>Imports the bundled ResNet-18 as <see cref="PretrainedName"/> unless it is there; true when it imported
    /// it now (and said so through <paramref name="say"/>). The backbone is then known to this process too.</summary>
    public static bool EnsurePretrained(Action<string> say)
    {
        ArgumentNullException.ThrowIfNull(say);
        if (ModelLibrary.Default().Contains(PretrainedName)) return false;
        var folder = Path.Combine(AppContext.BaseDirectory, "pretrained");
        var network = Path.Combine(folder, "ResNet18.onnx");
        var preprocess = Path.Combine(folder, "ResNetPreprocess.onnx");
        if (!File.Exists(network) || !File.Exists(preprocess))
            throw new InvalidInputException($"this build lacks {folder}/ResNet18.onnx and ResNetPreprocess.onnx (they come with the build, from NuGet)");
        var (mean, std) = MeanImagePreprocessing.Read(preprocess);
        say(Describe(ImportOnnx(network, PretrainedName, new ImportOptions(Mean: mean, Std: std))));
        return true;
    }

    private static ImportedModel ImportOnnx(string file, string name, ImportOptions options)
    {
        if (!File.Exists(file)) throw new InvalidInputException($"--onnx: no file at '{file}'");
        try
        {
            return ModelLibrary.Default().Import(file, name, options, DateTimeOffset.UtcNow);
        }
        catch (ModelImportException e)
        {
            throw new InvalidInputException($"{e.Message}; nothing was written");
        }
        catch (EngineException e) when (e.InvalidInput)
        {
            throw new InvalidInputException($"{e.Message}; nothing was written");
        }
    }

    private static string Describe(ImportedModel m) =>
        $"imported {m.Name} from {m.Source}: {m.Groups} layer groups (ending at {string.Join(", ", m.GroupEnds)}), {m.Stages} stages, " +
        $"{m.FeatureDim} features, {m.Parameters:N0} weights; input {m.InputSize}x{m.InputSize} (at least {m.MinInputSize}), " +
        $"mean {string.Join(",", m.Mean.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}, " +
        $"std {string.Join(",", m.Std.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))} -> {ModelLibrary.Default().PathOf(m.Name)}";

    private static IReadOnlyList<string>? Names(string? text) =>
        text is null ? null : [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    private static float[]? Triple(string? text, string option)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = parts.Select(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : float.NaN).ToArray();
        if (values.Length != 3 || values.Any(float.IsNaN))
            throw new InvalidInputException($"{option} '{text}': expected three numbers separated by commas");
        return values;
    }

    private static Command Forward()
    {
        var arch = Arch();
        var weightsFile = new Option<string>("--weights") { Description = "A file `model import` wrote, or a PyTorch state dict (default for an imported ONNX backbone: its own)" };
        var input = new Option<string>("--input") { Description = "torch.save({\"input\": x}, FILE), x float N x 3 x H x W, normalized", Required = true };
        var output = new Option<string>("--output") { Description = "File for {\"features\", \"logits\"} (torch.load reads it)", Required = true };
        var command = new Command("forward", "Eval-mode forward: pooled backbone features and, with a classifier, ImageNet logits")
            { arch, weightsFile, input, output };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var architecture = result.GetValue(arch)!;
            var library = ModelLibrary.Default();
            var path = result.GetValue(weightsFile) ?? (library.Contains(architecture)
                ? Path.Combine(library.PathOf(architecture), "weights.bin")
                : throw new InvalidInputException($"--weights is required for {architecture} (only an imported ONNX backbone carries its own)"));
            using var weights = NothingWritten(() => BackboneWeights.Open(architecture, path));
            var n = NothingWritten(() => weights.Forward(result.GetValue(input)!, result.GetValue(output)!));
            Console.WriteLine($"{weights.Architecture}: {n} inputs -> {result.GetValue(output)} (features{(weights.ClassifierTensors > 0 ? ", logits" : "")})");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    /// <summary>Runs an engine call; its refusal of the input (then nothing was written) becomes exit 2.</summary>
    private static T NothingWritten<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (EngineException e) when (e.InvalidInput)
        {
            throw new InvalidInputException($"{e.Message}; nothing was written");
        }
    }
}
