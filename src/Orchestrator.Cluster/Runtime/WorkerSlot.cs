using Orchestrator.Cluster.Actors;
using Orchestrator.Cluster.Trials;
using Orchestrator.Domain.Specs;
using Orchestrator.Store;

namespace Orchestrator.Cluster.Runtime;

public sealed record RunTrial(TrialLease Lease, TrialSpec Spec);

/// <summary>One worker slot (a GPU, or a share of the CPU): runs the trials the coordinator hands it, one at a time.</summary>
public sealed class WorkerSlot(string name, TrialRunner runner, Coordinator coordinator) : Actor<RunTrial>(name)
{
    protected override async Task HandleAsync(RunTrial message, CancellationToken ct)
    {
        var outcome = await runner.RunAsync(Name, message.Lease, message.Spec, ct);
        coordinator.Tell(new TrialFinished(this, message.Lease.TrialId, outcome));
    }

    protected override void OnRestart(Exception cause) => coordinator.Tell(new SlotIdle(this));
}
