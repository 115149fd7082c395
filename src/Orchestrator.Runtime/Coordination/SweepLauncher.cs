using Orchestrator.Domain.Coordination;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Coordination;

/// <summary>Launching a sweep, the same for `sweep launch` (through ClusterClient) and `sweep run` (through this
/// process's node): the trial rows (the catalogue of specs) are registered in the store, then the coordinator is told.</summary>
public static class SweepLauncher
{
    public static async Task<SweepLaunchAccepted> LaunchAsync(ISweepCatalogue store, PlannedSweep sweep,
        Func<object, Task<object>> askCoordinator, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(askCoordinator);
        await SweepPlanner.RegisterAsync(store, sweep, DateTimeOffset.UtcNow, ct).ConfigureAwait(false);
        var answer = await askCoordinator(new LaunchSweep(sweep.Id, sweep.Spec.Name, sweep.Trials.Select(t => t.Id).ToList(),
            SweepPlan.Of(sweep.Spec, sweep.Trials))).ConfigureAwait(false);
        return answer as SweepLaunchAccepted
            ?? throw new InvalidOperationException($"the coordinator answered {answer.GetType().Name} to a launch");
    }
}
