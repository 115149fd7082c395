using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Domain.Training;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime;

/// <summary>What a running sweep reports, for progress bars and logs. Called from worker threads.</summary>
public interface IRunObserver
{
    void SweepPlanned(SweepId sweepId, int trials, int newTrials, int alreadyEnded);
    void TrialClaimed(string slot, TrialId trialId, TrialSpec spec, TrialState state);
    void BatchProgress(string slot, TrialId trialId, string phase, int epoch, BatchProgress progress);
    void EventsJournaled(string slot, TrialId trialId, IReadOnlyList<TrialEvent> events);
    /// <summary>A trial left its slot: ended (<paramref name="exit"/> says how) or stopped and handed back.</summary>
    void TrialEnded(string slot, TrialId trialId, TrialExit exit, TrialState state);
    void Note(string message);
}

public sealed class NullRunObserver : IRunObserver
{
    public static readonly NullRunObserver Instance = new();
    public void SweepPlanned(SweepId sweepId, int trials, int newTrials, int alreadyEnded) { }
    public void TrialClaimed(string slot, TrialId trialId, TrialSpec spec, TrialState state) { }
    public void BatchProgress(string slot, TrialId trialId, string phase, int epoch, BatchProgress progress) { }
    public void EventsJournaled(string slot, TrialId trialId, IReadOnlyList<TrialEvent> events) { }
    public void TrialEnded(string slot, TrialId trialId, TrialExit exit, TrialState state) { }
    public void Note(string message) { }
}
