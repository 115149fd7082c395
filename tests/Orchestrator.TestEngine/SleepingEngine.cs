using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;

namespace Orchestrator.TestEngine;

/// <summary>The plugin: its epochs sleep and report the losses <c>ORCHESTRATOR_TEST_ENGINE</c> scripts
/// (<see cref="EngineScript"/>); an epoch's training loss is its validation loss plus 0.1.</summary>
public sealed class SleepingEngine : ITrainerSource
{
    private readonly EngineScript _script = EngineScript.FromEnvironment();

    public string Description =>
        $"TEST ENGINE: epochs sleep {_script.EpochTime.TotalSeconds:G3}s and report {_script.Losses}; nothing is trained";

    public ITrainer Create(TrialSpec spec, int classes)
    {
        var lossOf = _script.LossOf(spec);
        return new FakeTrainer(4, lossOf)
        {
            EpochTime = _script.EpochTime,
            TrialId = Ids.TrialId(spec).Value,
            Captures = true,
            AnyGroups = true,
            TrainLossOfEpoch = epoch => lossOf(epoch) + 0.1,
        };
    }
}
