using Akka.Actor;
using Orchestrator.Runtime.Membership;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Slots;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// This process's actor system: a cluster node (a one-node cluster for a laptop run) with the SQL journal of the
/// store, and the one read journal of the process.
/// </summary>
public sealed class OrchestratorNode : IAsyncDisposable
{
    private OrchestratorNode(ActorSystem system)
    {
        System = system;
        Journal = new TrialJournalReader(system);
    }

    public ActorSystem System { get; }

    public TrialJournalReader Journal { get; }

    /// <summary>Starts the node and, with no seed nodes, forms a one-node cluster by joining itself; returns once it is up.</summary>
    public static async Task<OrchestratorNode> StartAsync(StoreLocation store, NodeOptions options, CancellationToken ct = default)
    {
        var system = ActorSystem.Create(RuntimeConfig.SystemName, RuntimeConfig.Node(store, options));
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            await cluster.JoinAsync(cluster.SelfAddress, ct).ConfigureAwait(false);
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            return new OrchestratorNode(system);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs trials in this process: a coordinator over <paramref name="scope"/> and <paramref name="slots"/> slot actors.
    /// Returns the trial rows once every trial in scope has ended (with <paramref name="untilFinished"/> false, runs until cancelled). When <paramref name="ct"/> fires, running trials stop
    /// at their epoch boundary and are handed back before the method throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<IReadOnlyList<TrialRecord>> RunAsync(WorkScope scope, IOrchestratorStore store, TrialServices services,
        IReadOnlyList<string> slots, CoordinatorSettings settings, TimeProvider clock, CancellationToken ct,
        Action<IActorRef>? onStarted = null, bool untilFinished = true)
    {
        var coordinator = System.ActorOf(SweepCoordinator.Props(scope, store, NodeIdentity.Current, settings, services.Observer, clock), "coordinator");
        var slotActors = slots.Select(slot => System.ActorOf(SlotActor.Props(slot, coordinator, services), slot)).ToList();
        onStarted?.Invoke(coordinator);
        try
        {
            if (!untilFinished) await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            var finished = await coordinator.Ask<ScopeFinished>(new WhenFinished(), Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
            return finished.Trials;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The epoch being committed is kept; the trial is handed back so the next run resumes it at once.
            try
            {
                await coordinator.Ask<AllStopped>(new StopAll(), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                services.Observer.Note("some trials did not stop within 30 s; their leases expire and they resume from the journal");
            }
            throw;
        }
        finally
        {
            // Their names are free again once they have stopped: a later run in this process may use them.
            await Task.WhenAll(slotActors.Append(coordinator).Select(a => a.GracefulStop(TimeSpan.FromSeconds(10))))
                .ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Leaving tells the other members first; a node alone in its cluster has no one to tell.
        var cluster = Akka.Cluster.Cluster.Get(System);
        if (cluster.State.Members.Count > 1)
            await cluster.LeaveAsync().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        await System.Terminate().ConfigureAwait(false);
    }
}
