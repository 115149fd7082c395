using System.CommandLine;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Engine.Interop;
using Orchestrator.Engine.Models;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>Backbone architectures and their weights: list, import a PyTorch state dict, forward an input.</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var model = new Command("model", "Backbone architectures and pretrained weights");
        model.Subcommands.Add(Architectures());
        model.Subcommands.Add(Import());
        model.Subcommands.Add(Forward());
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
        var arch = Arch();
        var stateDict = new Option<string>("--state-dict")
        {
            Description = "PyTorch state dict saved with torch.save(dict(model.state_dict()), FILE)",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "Weights file to write (atomically)", Required = true };
        var command = new Command("import", "Check a PyTorch state dict against an architecture and write the engine's weights file")
            { arch, stateDict, output };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var source = result.GetValue(stateDict)!;
            var target = result.GetValue(output)!;
            if (Path.GetFullPath(source) == Path.GetFullPath(target))
                throw new InvalidInputException("--out must differ from --state-dict");
            using var weights = NothingWritten(() => BackboneWeights.Open(result.GetValue(arch)!, source));
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

    private static Command Forward()
    {
        var arch = Arch();
        var weightsFile = new Option<string>("--weights") { Description = "A file `model import` wrote, or a PyTorch state dict", Required = true };
        var input = new Option<string>("--input") { Description = "torch.save({\"input\": x}, FILE), x float N x 3 x H x W, normalized", Required = true };
        var output = new Option<string>("--output") { Description = "File for {\"features\", \"logits\"} (torch.load reads it)", Required = true };
        var command = new Command("forward", "Eval-mode forward: pooled backbone features and, with a classifier, ImageNet logits")
            { arch, weightsFile, input, output };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            using var weights = NothingWritten(() => BackboneWeights.Open(result.GetValue(arch)!, result.GetValue(weightsFile)!));
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
