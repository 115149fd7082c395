using Orchestrator.Runtime;
using Orchestrator.Runtime.Testing;
using Orchestrator.Runtime.Trials;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

namespace Orchestrator.Cli.Commands;

/// <summary>The engine trials run on: libtorch, or the sleeping TEST engine when the tests ask for it explicitly.</summary>
public static class Engines
{
    public static TrainerFactory Select(int slots, IRunObserver observer)
    {
        if (TestEngine.FromEnvironment() is { } test)
        {
            Console.Error.WriteLine($"WARNING: TEST ENGINE (${TestEngine.Variable}): epochs sleep {test.EpochTime.TotalSeconds:G3}s and report scripted losses; nothing is trained");
            observer.Note("using the sleeping TEST engine: results are not real");
            return (_, _) => new SleepingTestTrainer(4, test.EpochTime, test.Losses);
        }
        var threads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, slots));
        return (spec, classes) => TorchTrainer.Create(new TrainerOptions(
            spec.Backbone, classes, spec.InputSize, spec.Optimizer, spec.LearningRate,
            (ulong)spec.Seed, threads));
    }
}
