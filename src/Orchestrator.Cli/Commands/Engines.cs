using System.Runtime.Loader;
using Orchestrator.Domain.Training;
using Orchestrator.Domain;
using Orchestrator.Engine.Training;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Cli.Commands;

/// <summary>The engine trials run on: libtorch, or an engine plugin named by <see cref="PluginVariable"/>.</summary>
public static class Engines
{
    public const string PluginVariable = "ORCHESTRATOR_ENGINE_PLUGIN";

    /// <exception cref="InvalidInputException">The plugin cannot be loaded.</exception>
    public static TrainerFactory Select(int slots, IRunObserver observer, EngineChoices choices)
    {
        if (Environment.GetEnvironmentVariable(PluginVariable) is { Length: > 0 } path)
        {
            var plugin = LoadPlugin(path);
            Console.Error.WriteLine($"WARNING: engine plugin ${PluginVariable}={path}: {plugin.Description}");
            observer.Note($"engine plugin: {plugin.Description}");
            return (spec, classes, _) => plugin.Create(spec, classes);
        }
        var threads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, slots));
        var cache = choices.NoFeatureCache ? null : FeatureCacheSettings.For(Math.Max(1, slots), choices.FeatureCacheMebibytes);
        if (cache is not null)
            observer.Note($"feature cache: {cache.MemoryBytes / (1024 * 1024)} MiB per slot in memory, then {cache.SpillDirectory}");
        return (spec, classes, slot) => TorchTrainer.Create(new TrainerOptions(
            spec.Backbone, classes, spec.InputSize, spec.Optimizer, spec.LearningRate,
            (ulong)spec.Seed, threads, choices.DeviceOf(slot), cache));
    }

    private static ITrainerSource LoadPlugin(string path)
    {
        try
        {
            var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path));
            var type = assembly.GetExportedTypes().FirstOrDefault(t => typeof(ITrainerSource).IsAssignableFrom(t) && !t.IsAbstract)
                ?? throw new InvalidInputException($"${PluginVariable}: {path} has no public {nameof(ITrainerSource)} type");
            return (ITrainerSource)Activator.CreateInstance(type)!;
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or MissingMethodException or FormatException
            or System.Reflection.TargetInvocationException)
        {
            throw new InvalidInputException($"${PluginVariable}: cannot load an engine from {path} ({ex.GetBaseException().Message})");
        }
    }
}
