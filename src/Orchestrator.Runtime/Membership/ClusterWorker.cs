using Akka.Actor;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Membership;

public sealed record ClusterWorkerOptions(
    IReadOnlyList<string> SlotNames,
    TimeSpan LeaseDuration,
    TimeSpan HeartbeatInterval,
    TimeSpan PollInterval,
    bool ExitWhenIdle)
{
    public static IReadOnlyList<string> Slots(int count) => Enumerable.Range(0, count).Select(i => $"slot-{i}").ToList();
}

/// <summary>
/// A worker process of the cluster: registers its node row and heartbeats it, and runs its slots as actors on this
/// process's node, under a coordinator that claims trials of any active sweep from the store (the lease is the
/// hand-out). A draining node finishes what it runs and claims nothing more. While the store is unreachable, the
/// coordinator retries at every tick; a trial whose lease was taken over meanwhile is stopped here.
/// </summary>
public sealed class ClusterWorker(
    IOrchestratorStore store,
    OrchestratorNode actors,
    TrialServices services,
    NodeIdentity node,
    TimeProvider clock,
    ClusterWorkerOptions options)
{
    private IActorRef? _coordinator;

    private IRunObserver Observer => services.Observer;

    public async Task RunAsync(CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        await RetryAsync(() => store.RegisterNodeAsync(
            new NodeRecord(node.Id, node.Host, node.Pid, "worker", options.SlotNames.Count, 0, started, started, NodeStatus.Up, false), ct), ct);
        Observer.Note($"worker {node.Id} up with {options.SlotNames.Count} slot(s): {string.Join(", ", options.SlotNames)}");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatLoopAsync(stop.Token);
        try
        {
            var settings = new CoordinatorSettings(options.LeaseDuration, options.PollInterval);
            await actors.RunAsync(new WorkScope.AllSweeps(), store, services, options.SlotNames, settings, clock, stop.Token,
                coordinator => _coordinator = coordinator, untilFinished: options.ExitWhenIdle);
        }
        finally
        {
            await stop.CancelAsync();
            await heartbeat.ContinueWith(_ => { }, TaskScheduler.Default);
            try
            {
                using var bye = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await store.SetNodeStatusAsync(node.Id, NodeStatus.Left, bye.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Leaving is a courtesy; without it the coordinator marks the node down when its heartbeats stop.
            }
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, clock, ct);
                var busy = await BusySlotsAsync();
                var row = await store.HeartbeatAsync(node.Id, busy, clock.GetUtcNow(), ct);
                if (row is null)
                {
                    var now = clock.GetUtcNow();
                    await store.RegisterNodeAsync(new NodeRecord(node.Id, node.Host, node.Pid, "worker", options.SlotNames.Count,
                        busy, now, now, NodeStatus.Up, false), ct);
                    continue;
                }
                // The coordinator holds the drain state and says when it changes.
                _coordinator?.Tell(new SetDraining(row.Draining));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Observer.Note($"worker {node.Id}: heartbeat failed ({ex.GetType().Name}: {ex.Message}); retrying");
            }
        }
    }

    private async Task<int> BusySlotsAsync()
    {
        if (_coordinator is null) return 0;
        try
        {
            return (await _coordinator.Ask<BusySlots>(new GetBusySlots(), TimeSpan.FromSeconds(2))).Count;
        }
        catch (AskTimeoutException)
        {
            return 0;
        }
    }

    private static async Task RetryAsync(Func<Task> action, CancellationToken ct)
    {
        for (var delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30)))
        {
            try
            {
                await action();
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is not (ArgumentException or InvalidOperationException))
            {
                Console.Error.WriteLine($"store unreachable ({ex.GetType().Name}: {ex.Message}); retrying in {delay.TotalSeconds:F0}s");
                await Task.Delay(delay, ct);
            }
        }
    }
}
