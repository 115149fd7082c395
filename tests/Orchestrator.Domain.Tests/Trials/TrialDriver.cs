using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Trials;

/// <summary>Walks scripted validation losses through the decider as the runner does: decides, performs the effects
/// (a saved file's SHA-256 is that of its name), records the events and folds them with Evolve.</summary>
internal sealed class TrialDriver
{
    public TrialStarted Started { get; }
    public TrialState State { get; private set; }
    public List<EpochDecision> Decisions { get; } = [];
    public List<IReadOnlyList<TrialEvent>> Epochs { get; } = [];
    public List<TrialEvent> All { get; } = [];

    private TrialDriver(TrialStarted started)
    {
        Started = started;
        All.Add(started);
        State = TrialEvolution.Evolve(TrialState.Initial, started);
    }

    public static TrialSpec Spec(
        Strategy strategy = Strategy.Dynamic, double lr = 0.01, int p = 2, int k = 1, double decay = 0.1, int n = 100,
        int topN = 0, double minDelta = 0, StopPolicy stop = StopPolicy.PlateauAfterFullUnfreeze, int maxRounds = 10, int seed = 1) =>
        new("test", Backbones.LightweightCnn, strategy, lr, p, k, decay, n, topN, minDelta, stop, maxRounds, Optimizer.Adam, 8, 32,
            seed, new DataSpec("d", null));

    public static TrialDriver Run(TrialSpec spec, int groups, IEnumerable<double> losses) =>
        Run(TrialDecider.Start(spec, groups), losses);

    public static TrialDriver Run(TrialStarted started, IEnumerable<double> losses)
    {
        var driver = new TrialDriver(started);
        foreach (var loss in losses)
        {
            if (driver.State.Phase != TrialPhase.Training) break;
            driver.Step(loss);
        }
        return driver;
    }

    public static EpochOutcome Outcome(double valLoss) => new(valLoss + 0.5, valLoss, 0.5, 0.4, 1.0);

    public IReadOnlyList<TrialEvent> Step(double valLoss) => Step(Outcome(valLoss));

    public IReadOnlyList<TrialEvent> Step(EpochOutcome outcome)
    {
        var decision = TrialDecider.Decide(State, outcome);
        var events = EpochEvents.Record(decision, Perform(decision.Effects()));
        foreach (var e in events) State = TrialEvolution.Evolve(State, e);
        Decisions.Add(decision);
        Epochs.Add(events);
        All.AddRange(events);
        return events;
    }

    /// <summary>What the runner's effects report: the files they saved.</summary>
    public static EffectResults Perform(IReadOnlyList<EpochEffect> effects) => new(
        effects.OfType<EpochEffect.SaveBest>().Select(b => Saved(b.Checkpoint)).SingleOrDefault(),
        effects.OfType<EpochEffect.SaveCheckpoint>().Select(c => Saved(c.Checkpoint)).SingleOrDefault());

    public static SavedFile Saved(string name) => new(name, Sha(name));

    public static string Sha(string name) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    /// <summary>The EpochCompleted the decider should emit for a scripted epoch.</summary>
    public static EpochCompleted Completed(int epoch, double valLoss, double lr, int m, int patience) =>
        new(epoch, valLoss + 0.5, valLoss, 0.5, 0.4, lr, m, patience, 1.0);

    public static BestImproved Best(int epoch, double valLoss) =>
        new(epoch, valLoss, CheckpointNames.Best(0, epoch), Sha(CheckpointNames.Best(0, epoch)));

    /// <summary>The resumable checkpoint of a scripted epoch that did not stop training.</summary>
    public static CheckpointSaved Checkpoint(int epoch) =>
        new(epoch, CheckpointNames.Latest(0, epoch), Sha(CheckpointNames.Latest(0, epoch)));
}
