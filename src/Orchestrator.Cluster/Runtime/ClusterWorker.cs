using System.Collections.Concurrent;
using Orchestrator.Cluster.Trials;
using Orchestrator.Domain.Specs;
using Orchestrator.Store;

namespace Orchestrator.Cluster.Runtime;

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
/// A worker process of the cluster: registers its node row, heartbeats, and runs one loop per slot that claims
/// trials of any active sweep straight from the store (the lease is the hand-out; no coordinator in between) and
/// runs them. A draining node finishes what it runs and claims nothing more. While the store is unreachable,
/// every loop backs off and retries; a trial whose lease was taken over meanwhile is refused by the store and
/// dropped by its runner.
/// </summary>
public sealed class ClusterWorker(
    IOrchestratorStore store,
    TrialRunner runner,
    NodeIdentity node,
    TimeProvider clock,
    ClusterWorkerOptions options,
    IRunObserver observer)
{
    private readonly Backoff _storeTrouble = new(observer);
    private readonly ConcurrentDictionary<string, string> _specs = new(StringComparer.Ordinal);
    private int _busy;
    private volatile bool _draining;

    public async Task RunAsync(CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        await RetryAsync(() => store.RegisterNodeAsync(
            new NodeRecord(node.Id, node.Host, node.Pid, "worker", options.SlotNames.Count, 0, started, started, NodeStatus.Up, false), ct), ct);
        observer.Note($"worker {node.Id} up with {options.SlotNames.Count} slot(s): {string.Join(", ", options.SlotNames)}");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeat = HeartbeatLoopAsync(stop.Token);
        try
        {
            await Task.WhenAll(options.SlotNames.Select(name => SlotLoopAsync(name, stop.Token)));
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

    private async Task SlotLoopAsync(string slot, CancellationToken ct)
    {
        var owner = node.SlotOwner(slot);
        while (!ct.IsCancellationRequested)
        {
            TrialLease? lease;
            try
            {
                lease = _draining ? null : await store.TryClaimAnyTrialAsync(owner, clock.GetUtcNow(), options.LeaseDuration, ct);
                _storeTrouble.Recovered();
                if (lease is null)
                {
                    if (options.ExitWhenIdle && !_draining && await AllTrialsEndedAsync(ct)) return;
                    if (store is IWorkSignal signal) await signal.WaitForWorkAsync(options.PollInterval, ct);
                    else await Task.Delay(options.PollInterval, clock, ct);
                    continue;
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                await _storeTrouble.WaitAsync($"slot {slot}: cannot claim", ex, clock, ct);
                continue;
            }

            Interlocked.Increment(ref _busy);
            try
            {
                await runner.RunAsync(slot, lease, TrialSpecJson.Deserialize(await SpecJsonOfAsync(lease, ct)), ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // The runner journals what it can; this is a store that stayed unreachable past its retries. The lease
                // runs out and the trial is claimed again, resuming from its journal.
                observer.Note($"slot {slot}: {lease.TrialId} interrupted ({ex.GetType().Name}: {ex.Message}); its lease will expire and it resumes from the journal");
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
            }
        }
    }

    /// <summary>A trial's spec never changes (its id is the spec's hash), so the specs of a sweep are read once, in
    /// one query, when the first of its trials is claimed here, instead of once per claim.</summary>
    private async Task<string> SpecJsonOfAsync(TrialLease lease, CancellationToken ct)
    {
        if (_specs.TryGetValue(lease.TrialId, out var json)) return json;
        foreach (var trial in await store.ListTrialsAsync(lease.SweepId, ct)) _specs.TryAdd(trial.Id, trial.SpecJson);
        return _specs.TryGetValue(lease.TrialId, out json) ? json : throw new InvalidOperationException($"claimed trial {lease.TrialId} has no row");
    }

    private async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, clock, ct);
                var row = await store.HeartbeatAsync(node.Id, Volatile.Read(ref _busy), clock.GetUtcNow(), ct);
                if (row is null)
                {
                    var now = clock.GetUtcNow();
                    await store.RegisterNodeAsync(new NodeRecord(node.Id, node.Host, node.Pid, "worker", options.SlotNames.Count,
                        Volatile.Read(ref _busy), now, now, NodeStatus.Up, false), ct);
                    continue;
                }
                if (row.Draining != _draining)
                    observer.Note(row.Draining ? $"worker {node.Id}: draining; finishing running trials, claiming no new ones" : $"worker {node.Id}: drain lifted");
                _draining = row.Draining;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                observer.Note($"worker {node.Id}: heartbeat failed ({ex.GetType().Name}: {ex.Message}); retrying");
            }
        }
    }

    private async Task<bool> AllTrialsEndedAsync(CancellationToken ct)
    {
        foreach (var sweep in await store.ListSweepsAsync(ct))
            if ((await store.ListTrialsAsync(sweep.Id, ct)).Any(t => t.Status is TrialStatus.Pending or TrialStatus.Running))
                return false;
        return true;
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

/// <summary>Exponential backoff with one note per outage (not one per retry), shared by the loops of a process.</summary>
internal sealed class Backoff(IRunObserver observer)
{
    private long _delayMs;

    public async Task WaitAsync(string what, Exception ex, TimeProvider clock, CancellationToken ct)
    {
        var previous = Interlocked.Read(ref _delayMs);
        var next = previous == 0 ? 500 : Math.Min(previous * 2, 15_000);
        Interlocked.Exchange(ref _delayMs, next);
        if (previous == 0) observer.Note($"{what}: {ex.GetType().Name}: {ex.Message}; retrying with backoff");
        await Task.Delay(TimeSpan.FromMilliseconds(next), clock, ct);
    }

    public void Recovered()
    {
        if (Interlocked.Exchange(ref _delayMs, 0) != 0) observer.Note("store reachable again");
    }
}
