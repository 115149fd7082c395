using Orchestrator.Cluster.Trials;
using Orchestrator.Store;

namespace Orchestrator.Cluster.Runtime;

public sealed record LocalClusterOptions(int Workers, TimeSpan LeaseDuration, TimeSpan PollInterval)
{
    public static LocalClusterOptions Default(int workers) => new(workers, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
}

/// <summary>One process running a sweep: a coordinator actor and N worker-slot actors.</summary>
public sealed class LocalCluster(
    IOrchestratorStore store,
    string artifactRoot,
    TrainerFactory trainers,
    IRunObserver observer,
    TimeProvider clock,
    LocalClusterOptions options)
{
    public async Task<IReadOnlyList<TrialRecord>> RunSweepAsync(string sweepId, CancellationToken ct)
    {
        using var datasets = new DatasetCache();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var coordinator = new Coordinator(sweepId, store, NodeIdentity.Current, clock, options.LeaseDuration, options.PollInterval, observer);
        coordinator.Start(stop.Token);
        var runner = new TrialRunner(store, artifactRoot, datasets, trainers, observer, clock, options.LeaseDuration);
        var slots = Enumerable.Range(0, options.Workers)
            .Select(i => new WorkerSlot($"slot-{i}", runner, coordinator))
            .ToList();
        foreach (var slot in slots)
        {
            slot.Start(stop.Token);
            coordinator.AddSlot(slot);
        }
        try
        {
            var ended = Task.WhenAny(coordinator.SweepEnded, coordinator.Completion);
            await ended.WaitAsync(ct);
            if (!coordinator.SweepEnded.IsCompleted) await coordinator.Completion; // surfaces the coordinator's failure
            return await coordinator.SweepEnded;
        }
        finally
        {
            // Synchronous on purpose: the running trials must see the stop before this method's caller goes on
            // (CancelAsync would signal them later, from the thread pool, while an epoch may still be journaled).
            stop.Cancel();
            foreach (var slot in slots) slot.Complete();
            coordinator.Complete();
            await Task.WhenAll(slots.Select(s => s.Completion).Append(coordinator.Completion)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
