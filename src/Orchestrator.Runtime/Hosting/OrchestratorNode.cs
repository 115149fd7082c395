using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Slots;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Catalogue;
using Orchestrator.Catalogue.Leases;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// This process's actor system: a cluster node (a one-node cluster for a laptop run) with the SQL journal of the
/// store, the sweep coordinator singleton (on coordinator-role nodes) and a proxy to it, the node's operations actor,
/// the worker slots, and the one read journal of the process.
/// </summary>
public sealed class OrchestratorNode : IAsyncDisposable
{
    /// <summary>The key of the coordinator's proxy in the builder's actor registry.</summary>
    private sealed class CoordinatorProxy;
    private static readonly TimeSpan RegisterEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan JoinHintAfter = TimeSpan.FromSeconds(20);
    private readonly List<IActorRef> _slots = [];
    private volatile bool _leaving;

    private OrchestratorNode(HostedActorSystem hosted, IActorRef coordinator, IActorRef node, ICoordinatorLease? ownLease, AuditLog audit)
    {
        _audit = audit;
        _hosted = hosted;
        var system = System = hosted.System;
        Coordinator = coordinator;
        Node = node;
        _ownLease = ownLease;
        // Made when first asked for (`sweep run` reads its trials' journals; a worker never does): the read journal's
        // start-up waits at most 5 s for the SQL plugin, which eight nodes starting at once on a loaded box exceeded.
        _journal = new Lazy<TrialJournalReader>(() => new TrialJournalReader(system));
    }

    private readonly HostedActorSystem _hosted;
    private readonly Lazy<TrialJournalReader> _journal;
    private readonly ICoordinatorLease? _ownLease;
    private readonly AuditLog _audit;
    private PauseWatch? _pauses;
    private IActorRef? _islandWatch;
    private AddressMark? _mark;

    public ActorSystem System { get; }

    /// <summary>The proxy to the coordinator singleton, wherever in the cluster it runs.</summary>
    public IActorRef Coordinator { get; }

    public IActorRef Node { get; }

    public TrialJournalReader Journal => _journal.Value;

    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>Completes when the actor system has terminated; true when the cluster removed this node without it
    /// asking to leave (downed by the split-brain resolver or an operator).</summary>
    public Task<bool> Terminated => System.WhenTerminated.ContinueWith(
        _ => !_leaving && CoordinatedShutdown.Get(System).ShutdownReason is not CoordinatedShutdown.ClusterLeavingReason, TaskScheduler.Default);

    /// <summary>Starts the node and joins the cluster (with no seed nodes, it forms a one-node cluster by joining
    /// itself); returns once it is up. <paramref name="rows"/> is the store the coordinator projects its view onto.
    /// A coordinator node hosts the coordinator only while it holds the store's coordinator <paramref name="lease"/>
    /// (made here and released when the node is disposed, unless the caller passes one it owns). Without
    /// <paramref name="joinWithin"/>, a node not let in within <see cref="FreshStartAfter"/> starts afresh, and again.</summary>
    /// <exception cref="ClusterJoinException">Not up within <paramref name="joinWithin"/> (when given).</exception>
    public static async Task<OrchestratorNode> StartAsync(StoreLocation store, NodeOptions options, ISweepCatalogue rows, IRunObserver observer,
        CancellationToken ct = default, CoordinatorSettings? settings = null, ICoordinatorLease? lease = null, TimeSpan? joinWithin = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(observer);
        if (joinWithin is not null || options.Seeds.Count == 0)
            return await StartOnceAsync(store, options, rows, observer, ct, settings, lease, joinWithin, freshStart: false).ConfigureAwait(false);
        var mark = options.Port == 0 ? null : await MarkAddressAsync(store, options, observer, ct).ConfigureAwait(false);
        try
        {
            // A node restarted at its old address is sometimes never answered by a peer that knew the old incarnation:
            // the seeds log the InitJoinAck they send, the new node never receives one (nemesis, docs/runtime.md). A
            // new actor system is a new incarnation with new connections, which the peers take in afresh.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var node = await StartOnceAsync(store, options, rows, observer, ct, settings, lease, null, freshStart: true).ConfigureAwait(false);
                    node._mark = mark;
                    return node;
                }
                catch (ClusterJoinException e) when (!ct.IsCancellationRequested)
                {
                    observer.Note($"{e.Message} (start {attempt}); starting afresh as a new incarnation of this node");
                    await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            if (mark is not null) await mark.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits, when a node at this address crashed a short while ago, until the cluster has removed it (see
    /// <see cref="AddressMark"/>); then marks the address as this process's.</summary>
    private static async Task<AddressMark> MarkAddressAsync(StoreLocation store, NodeOptions options, IRunObserver observer, CancellationToken ct)
    {
        var path = AddressMark.PathFor(AddressMark.DefaultDirectory, options.Host, options.Port);
        var lastTouched = AddressMark.LastTouched(path);
        var now = DateTime.UtcNow;
        var wait = AddressMark.WaitBeforeJoin(lastTouched, now, RemovalAfter(NodeConfig(store, options)));
        if (lastTouched is not null && wait > TimeSpan.Zero)
        {
            observer.Note($"a node at {options.Host}:{options.Port} stopped {(now - lastTouched.Value).TotalSeconds:0.0} s ago " +
                          $"without leaving; waiting {wait.TotalSeconds:0} s for the cluster to remove it before joining");
            await Task.Delay(wait, ct).ConfigureAwait(false);
        }
        return AddressMark.Hold(path);
    }

    /// <summary>The node's configuration as its actor system will have it, before that system starts: the builder of
    /// <see cref="RuntimeConfig.Node"/> on a service collection of its own, never started.</summary>
    private static Akka.Configuration.Config NodeConfig(StoreLocation store, NodeOptions options)
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), RuntimeConfig.SystemName).Node(store, options, tls: null);
        return builder.Configuration.HasValue ? builder.Configuration.Value : Akka.Configuration.Config.Empty;
    }

    /// <summary>How long after its last sign of life the cluster has removed a crashed node: the failure detector's
    /// acceptable pause, the resolver's stable-after, and a margin for the leader's removal.</summary>
    public static TimeSpan RemovalAfter(Akka.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause") +
               config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after") + TimeSpan.FromSeconds(5);
    }

    /// <summary>How long a node may wait to be let in before it starts afresh: twice the time in which the cluster
    /// removes an old incarnation at this address (<see cref="RemovalAfter"/>), for a loaded box.</summary>
    public static TimeSpan FreshStartAfter(Akka.Configuration.Config config) => 2 * RemovalAfter(config);

    private static async Task<OrchestratorNode> StartOnceAsync(StoreLocation store, NodeOptions options, ISweepCatalogue rows, IRunObserver observer,
        CancellationToken ct, CoordinatorSettings? settings, ICoordinatorLease? lease, TimeSpan? joinWithin, bool freshStart)
    {
        await JournalSchema.EnsureAsync(store, ct).ConfigureAwait(false);
        var ownLease = options.IsCoordinator && lease is null ? CoordinatorLeases.For(store) : null;
        lease ??= ownLease;
        // Read once: the remoting's TLS and the check of operators' certificates use the same settings.
        var tls = RemoteTlsSettings.FromEnvironment(Environment.GetEnvironmentVariable);
        var warmup = (Task?)null;
        var hosted = await HostedActorSystem.StartAsync(RuntimeConfig.SystemName, builder =>
        {
            builder.Node(store, options, tls).WithActors((system, _) =>
            {
                system.ActorOf(PersistenceWarmup.Props(write: true), "persistence-warmup").Tell(PersistenceWarmup.Finish);
                // While the node joins: it is over before the node is up, so before its slots ask for work.
                warmup = Task.Run(() => TrialPathWarmup.RunAsync(system, rows, ct), CancellationToken.None);
            });
            if (options.IsCoordinator)
            {
                builder.WithActors((system, _) =>
                    system.ActorOf(PersistenceWarmup.Props(journalPluginId: JournalSettings.CoordinatorJournalPlugin), "coordinator-persistence-warmup")
                        .Tell(PersistenceWarmup.Finish));
                builder.WithSingleton<CoordinatorProxy>(RuntimeConfig.CoordinatorManagerName, RuntimeConfig.CoordinatorSingletonName,
                    CoordinatorHost.Props(lease!, rows, observer, settings ?? CoordinatorSettings.Default), RuntimeConfig.CoordinatorSingleton, createProxyToo: true);
            }
            else
            {
                builder.WithSingletonProxy<CoordinatorProxy>(RuntimeConfig.CoordinatorManagerName, RuntimeConfig.CoordinatorSingletonName,
                    RuntimeConfig.CoordinatorSingleton);
            }
        }, ct).ConfigureAwait(false);
        var system = hosted.System;
        AuditLog? audit = null;
        try
        {
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            var proxy = hosted.Registry.Get<CoordinatorProxy>();
            var node = system.ActorOf(NodeActor.Props(proxy), NodeActor.Name);
            // What a ClusterClient may reach: the queries, and the commands signed with the control key. Not the
            // coordinator's proxy, not the operations actor: slots reach the coordinator inside the cluster only.
            audit = new AuditLog(AuditLog.DefaultPath);
            var receptionist = ClusterClientReceptionist.Get(system);
            receptionist.RegisterService(system.ActorOf(QueryEndpoint.Props(node), QueryEndpoint.Name));
            receptionist.RegisterService(system.ActorOf(ControlFacade.Props(node, proxy, options.ControlKey, audit, cluster.SelfAddress.ToString(),
                operators: OperatorTrust.For(tls)), ControlFacade.Name));
            // Not the Async joins: they give up after seed-node-timeout (5 s), which eight nodes starting at once on a
            // loaded box exceeded; these keep trying until the node is up, the bound passes (a fresh start, above,
            // or the caller's), or the command is interrupted.
            if (options.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);
            else cluster.JoinSeedNodes(await SeedsToJoinAsync(store, options, lease, observer, ct).ConfigureAwait(false));
            var bound = joinWithin ?? (freshStart ? FreshStartAfter(system.Settings.Config) : null);
            var givenUp = bound is null ? Task.Delay(Timeout.Infinite, ct) : Task.Delay(bound.Value, ct);
            if (joinWithin is null && await Task.WhenAny(up.Task, Task.Delay(JoinHintAfter, ct)).ConfigureAwait(false) != up.Task && !ct.IsCancellationRequested)
                observer.Note($"not up after {JoinHintAfter.TotalSeconds:0} s: no seed node ({string.Join(", ", options.Seeds)}) has let it in; " +
                              $"still trying (`orchestrator cluster join HOST:PORT --contact {cluster.SelfAddress.Host}:{cluster.SelfAddress.Port}` " +
                              "joins another cluster's node)");
            if (await Task.WhenAny(up.Task, givenUp).ConfigureAwait(false) != up.Task && !ct.IsCancellationRequested)
            {
                _ = warmup!.ContinueWith(t => t.Exception, TaskScheduler.Default); // the warm-up may fail with the system it ran on
                throw new ClusterJoinException($"not let into the cluster of {string.Join(", ", options.Seeds)} within {bound!.Value.TotalSeconds:0} s");
            }
            await up.Task.WaitAsync(ct).ConfigureAwait(false);
            await warmup!.ConfigureAwait(false);
            var started = new OrchestratorNode(hosted, proxy, node, ownLease, audit);
            // Told to leave (`orchestrator cluster leave`): the slots hand their trials back before the node goes.
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "hand-back-trials", async () =>
            {
                // Downed: this node may no longer hold its trials, and the commits under way are dropped.
                var downed = CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason or IslandWatch.StrandedReason;
                if (started._slots.Count > 0) await started.HandBackAsync(TimeSpan.FromSeconds(25), downed).ConfigureAwait(false);
                return Akka.Done.Instance;
            });
            return started;
        }
        catch
        {
            await hosted.DisposeAsync().ConfigureAwait(false);
            if (audit is not null) await audit.DisposeAsync().ConfigureAwait(false);
            if (ownLease is not null) await ownLease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The seeds to join through. A node first in its own seed list joins itself when no other seed answers
    /// within seed-node-timeout; while another process holds the store's coordinator lease, a cluster with a live
    /// coordinator exists, and a cluster of its own would be an island beside it (the nemesis saw one form when the
    /// other seeds' answers were lost), so it leaves itself out and keeps asking the others.</summary>
    private static async Task<IReadOnlyList<Address>> SeedsToJoinAsync(StoreLocation store, NodeOptions options,
        ICoordinatorLease? lease, IRunObserver observer, CancellationToken ct)
    {
        var seeds = options.Seeds.Select(s => Address.Parse(s.AkkaAddress)).ToList();
        if (!options.IsFirstOfSeveralSeeds) return seeds;
        var probe = lease ?? CoordinatorLeases.For(store);
        try
        {
            if (!await probe.HeldByAnotherAsync(ct).ConfigureAwait(false)) return seeds;
            var holder = await probe.ReadHolderAsync(ct).ConfigureAwait(false);
            observer.Note($"a coordinator of this store runs elsewhere ({holder?.ToString() ?? "its contact not yet published"}): " +
                          "joining its cluster through the other seeds, never forming one of its own");
            return seeds.Skip(1).ToList();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A store out of reach cannot say; the node joins as before, and its fresh start asks again.
            observer.Note($"could not ask the store whether a coordinator runs elsewhere ({e.Message}); joining through every seed");
            return seeds;
        }
        finally
        {
            if (lease is null) await probe.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>How long this process may stand still before its trials stop: below the earliest moment the other nodes
    /// could have downed it (the failure detector's acceptable pause, then the resolver's stable-after).</summary>
    public static TimeSpan PauseLimit(Akka.Configuration.Config config) =>
        config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause") +
        config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after") / 2;

    /// <summary>Starts worker slots on this node (with <paramref name="onlySweep"/>, they take trials of that sweep only).</summary>
    public IReadOnlyList<IActorRef> StartSlots(IReadOnlyList<string> names, TrialServices services, ISweepCatalogue store, SweepId? onlySweep = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        _pauses ??= new PauseWatch(PauseLimit(System.Settings.Config));
        services = services with { Pauses = _pauses };
        if (_islandWatch is null && !Cluster.Get(System).SelfRoles.Contains(NodeOptions.CoordinatorRole))
            _islandWatch = System.ActorOf(IslandWatch.Props(IslandWatch.Bound(System.Settings.Config), services.Observer), "island-watch");
        var started = names.Select(name => System.ActorOf(SlotActor.Props(Coordinator, services, store, onlySweep, RegisterEvery), name)).ToList();
        foreach (var slot in started) Node.Tell(new NodeActor.AddSlot(slot));
        _slots.AddRange(started);
        return started;
    }

    /// <summary>
    /// `sweep run` on this node: launches the sweep, runs its trials on <paramref name="slots"/> local slots that take
    /// this sweep's trials only, and returns the trial rows once every one has ended. When <paramref name="ct"/> fires,
    /// running trials stop at their epoch boundary and are handed back before <see cref="OperationCanceledException"/>.
    /// The coordinator may move to another node or restart meanwhile: every ask is bounded and asked again.
    /// </summary>
    /// <exception cref="CoordinatorSilentException">No coordinator answered for <see cref="CoordinatorSilenceLimit"/>.</exception>
    public async Task<IReadOnlyList<TrialRecord>> RunSweepAsync(ISweepCatalogue store, PlannedSweep sweep, TrialServices services,
        IReadOnlyList<string> slots, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(services);
        var observer = services.Observer;
        await SweepLauncher.LaunchAsync(store, sweep, m => AskCoordinatorAsync(m, "accept the launch", observer, ct), ct).ConfigureAwait(false);
        StartSlots(slots, services, store, onlySweep: sweep.Id);
        try
        {
            while (await AskCoordinatorAsync(new GetSweepState(sweep.Id), "report on the sweep", observer, ct).ConfigureAwait(false) is not SweepState { Ended: true })
                await Task.Delay(SweepPollEvery, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The epoch being committed is kept; the trial is handed back so the next run resumes it at once.
            if (!await HandBackAsync(TimeSpan.FromSeconds(50)).ConfigureAwait(false))
                observer.Note("some trials did not stop within 50 s; the next run queues them again from the journal");
            throw;
        }
        await HandBackAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return await store.ListTrialsAsync(sweep.Id, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>How often `sweep run` asks whether its sweep has ended.</summary>
    private static readonly TimeSpan SweepPollEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>One ask of the coordinator: the coordinator may be moving to another node, restarting from its journal,
    /// or waiting for its store's lease, so an ask that times out is asked again (it must be idempotent), with a line
    /// every 30 s that says what it waits for, up to <see cref="CoordinatorSilenceLimit"/>.</summary>
    private async Task<object> AskCoordinatorAsync(object message, string waitingFor, IRunObserver observer, CancellationToken ct)
    {
        var silent = global::System.Diagnostics.Stopwatch.StartNew();
        var said = TimeSpan.Zero;
        while (true)
        {
            try
            {
                return await Coordinator.Ask<object>(message, AskTimeout, ct).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                // Not answered in time: asked again below.
            }
            if (silent.Elapsed >= CoordinatorSilenceLimit)
                throw new CoordinatorSilentException(
                    $"no sweep coordinator has answered for {CoordinatorSilenceLimit.TotalMinutes:0} min (waiting for it to {waitingFor}); " +
                    "the trials' progress is journaled: run the same command again to resume");
            if (silent.Elapsed - said >= SayWaitingEvery)
            {
                said = silent.Elapsed;
                observer.Note($"waiting for the sweep coordinator to {waitingFor}: no answer for {silent.Elapsed.TotalSeconds:0} s " +
                              "(it may be moving to another node, recovering its journal, or waiting for its store); still asking");
            }
        }
    }

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SayWaitingEvery = TimeSpan.FromSeconds(30);

    /// <summary>How long `sweep run` waits for any answer from a coordinator before it gives up.</summary>
    public static readonly TimeSpan CoordinatorSilenceLimit = TimeSpan.FromMinutes(10);

    /// <summary>Stops every slot's trial at its epoch boundary, hands it back to the coordinator, and waits for the
    /// coordinator to have written the trial rows. False when something did not finish within <paramref name="timeout"/>.</summary>
    public async Task<bool> HandBackAsync(TimeSpan timeout, bool downed = false)
    {
        var stopped = await Task.WhenAll(_slots.Select(s => s.GracefulStop(timeout, new HandBackAndStop(downed))
            .ContinueWith(t => t.Status == TaskStatus.RanToCompletion && t.Result, TaskScheduler.Default))).ConfigureAwait(false);
        _slots.Clear();
        return stopped.All(s => s) && await FlushRowsAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>Waits until the coordinator has written every change so far onto the trial rows.</summary>
    public async Task<bool> FlushRowsAsync(TimeSpan timeout)
    {
        try
        {
            await Coordinator.Ask<RowsFlushed>(new FlushRows(), timeout).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A downed node's system has terminated already: nothing is left to stop, no one to tell (a leave would wait out its bound).
        if (!System.WhenTerminated.IsCompleted)
        {
            _leaving = true;
            // The proxy would warn, as the system stops, that it lost the singleton.
            await Coordinator.GracefulStop(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            // Leaving tells the other members first (a coordinator hands the singleton over); alone, no one to tell.
            var cluster = Cluster.Get(System);
            if (cluster.State.Members.Count > 1)
                await cluster.LeaveAsync().WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        await _hosted.DisposeAsync().ConfigureAwait(false);
        _pauses?.Dispose();
        await _audit.DisposeAsync().ConfigureAwait(false);
        if (_ownLease is not null) await _ownLease.DisposeAsync().ConfigureAwait(false);
        if (_mark is not null) await _mark.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>No sweep coordinator answered for a long time.</summary>
public sealed class CoordinatorSilentException(string message) : Exception(message);

/// <summary>A node that was not let into the cluster of its seed nodes in time.</summary>
public sealed class ClusterJoinException(string message) : Exception(message);
