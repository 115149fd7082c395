using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Orchestrator.Catalogue;
using Orchestrator.Catalogue.Sqlite;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;

namespace Orchestrator.Runtime.Tests;

/// <summary>The coordinator and a worker node, two actor systems in one cluster on loopback: the worker node is
/// downed while it runs a trial. A downed node may still be finishing its commits while the cluster removes it, so its
/// trial goes to another slot only once the downing is final: the margin after its removal.</summary>
public sealed class DownedNodeMarginTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(4);
    private readonly HostedActorSystem _hosted;
    private readonly string _root;
    private readonly StoreLocation _store;

    public DownedNodeMarginTests() : this(Path.Combine(Path.GetTempPath(), "orch-margin-" + Guid.NewGuid().ToString("N")[..8])) { }

    private DownedNodeMarginTests(string root) : this(root, StoreUrl.Parse($"sqlite:{Path.Combine(root, "store.db")}")) { }

    private DownedNodeMarginTests(string root, StoreLocation store) : this(root, store,
        HostedActorSystem.Start(RuntimeConfig.SystemName, b => b.Node(store, NodeOptions.Standalone, tls: null))) { }

    private DownedNodeMarginTests(string root, StoreLocation store, HostedActorSystem hosted) : base(hosted.System)
    {
        _hosted = hosted;
        _root = root;
        _store = store;
    }

    [Fact]
    public async Task A_downed_node_s_trial_is_queued_again_only_once_the_removal_margin_has_passed()
    {
        await using var store = await StoreWithOneTrialAsync("sw-margin", "margin");
        var cluster = await UpAsync();
        var notes = new NoteRecorder();
        var coordinator = Sys.ActorOf(SweepCoordinator.Props(store, notes,
            CoordinatorSettings.Default with { DownedNodeMargin = Margin }), "coordinator");

        await using var hostedWorker = await HostedActorSystem.StartAsync(Sys.Name,
            b => b.Node(_store, NodeOptions.Standalone with { Roles = [NodeOptions.WorkerRole] }, tls: null));
        var worker = hostedWorker.System;
        var workerCluster = Cluster.Get(worker);
        workerCluster.Join(cluster.SelfAddress);
        await AwaitConditionAsync(() => Task.FromResult(cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 2), TimeSpan.FromSeconds(20));
        var remote = CreateTestProbe(worker);
        var remoteCoordinator = await worker.ActorSelection(coordinator.Path.ToStringWithAddress(cluster.SelfAddress)).ResolveOne(TimeSpan.FromSeconds(10));
        remote.Send(remoteCoordinator, new RequestWork($"{workerCluster.SelfAddress}/user/slot-0", null));
        coordinator.Tell(new LaunchSweep(new SweepId("sw-margin"), "margin", [new TrialId("t-1")]), TestActor);
        ExpectMsg<SweepLaunchAccepted>(TimeSpan.FromSeconds(10));
        remote.ExpectMsg<WorkAssigned>(TimeSpan.FromSeconds(10)).TrialId.Should().Be(new TrialId("t-1"));
        var local = CreateTestProbe();
        local.Send(coordinator, new RequestWork($"{cluster.SelfAddress}/user/slot-0", null));

        var membership = CreateTestProbe();
        cluster.Subscribe(membership.Ref, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        // The clock starts at the downing: the coordinator cannot hear of the node's end before it. (It started at the
        // test's own sight of the removal, which on a loaded box came up to 4 s after the coordinator's: the test failed
        // while the coordinator had waited the whole margin.)
        var downed = Stopwatch.StartNew();
        cluster.Down(workerCluster.SelfAddress);
        membership.FishForMessage(m => m is ClusterEvent.MemberRemoved r && r.Member.Address == workerCluster.SelfAddress, TimeSpan.FromSeconds(30));

        local.ExpectMsg<WorkAssigned>(TimeSpan.FromSeconds(30)).TrialId.Should().Be(new TrialId("t-1"));
        downed.Elapsed.Should().BeGreaterThanOrEqualTo(Margin,
            $"a downed node's trial must wait the removal margin before another slot gets it (coordinator: {string.Join(" / ", notes.Notes)})");
        notes.Notes.Should().Contain(n => n.Contains($"its node left the cluster {Margin.TotalSeconds:0} s ago", StringComparison.Ordinal));
    }

    /// <summary>A coordinator that recovers (the singleton moved or restarted) cannot know when a node that is gone
    /// was removed: it may have been a moment before. It waits the margin, from its recovery, before it queues a trial
    /// assigned to such a node again.</summary>
    [Fact]
    public async Task A_recovered_coordinator_queues_a_gone_node_s_trial_again_only_after_the_margin()
    {
        await using var store = await StoreWithOneTrialAsync("sw-recovered", "recovered");
        var cluster = await UpAsync();
        var settings = CoordinatorSettings.Default with { DownedNodeMargin = Margin, ReconcileInterval = TimeSpan.FromMilliseconds(200) };
        var first = Sys.ActorOf(SweepCoordinator.Props(store, NullRunObserver.Instance, settings), "coordinator-a");
        var gone = CreateTestProbe();
        // A slot of a node that is no member (any more): its assignment is journaled; the first coordinator saw the slot.
        gone.Send(first, new RequestWork("akka.tcp://orchestrator@127.0.0.1:9/user/slot-0", null));
        first.Tell(new LaunchSweep(new SweepId("sw-recovered"), "recovered", [new TrialId("t-1")]), TestActor);
        ExpectMsg<SweepLaunchAccepted>(TimeSpan.FromSeconds(10));
        gone.ExpectMsg<WorkAssigned>(TimeSpan.FromSeconds(10)).TrialId.Should().Be(new TrialId("t-1"));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first, TimeSpan.FromSeconds(10));

        var second = Sys.ActorOf(SweepCoordinator.Props(store, NullRunObserver.Instance, settings), "coordinator-b");
        var started = Stopwatch.StartNew();
        var local = CreateTestProbe();
        local.Send(second, new RequestWork($"{cluster.SelfAddress}/user/slot-1", null));
        local.ExpectMsg<WorkAssigned>(TimeSpan.FromSeconds(30)).TrialId.Should().Be(new TrialId("t-1"));
        started.Elapsed.Should().BeGreaterThanOrEqualTo(Margin,
            "the recovered coordinator cannot tell how long ago the node was removed, so it waits the whole margin");
    }

    /// <summary>The store, with a sweep of one pending trial, t-1.</summary>
    private async Task<SqliteCatalogue> StoreWithOneTrialAsync(string sweepId, string name)
    {
        var store = await SqliteCatalogue.OpenAsync(_store.DatabasePath);
        var now = DateTimeOffset.UtcNow;
        await store.RegisterSweepAsync(new SweepRecord(new SweepId(sweepId), name, "", now), [new TrialRecord(new TrialId("t-1"), new SweepId(sweepId), "{}", TrialStatus.Pending, null, 0, now)]);
        return store;
    }

    /// <summary>The test kit's system as a one-node cluster, up.</summary>
    private async Task<Cluster> UpAsync()
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        await AwaitConditionAsync(() => Task.FromResult(cluster.SelfMember.Status == MemberStatus.Up), TimeSpan.FromSeconds(20));
        return cluster;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _hosted.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
