using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Store;
using Orchestrator.Store.Sqlite;

namespace Orchestrator.Runtime.Tests;

/// <summary>The coordinator and a worker node, two actor systems in one cluster on loopback: the worker node is
/// downed while it runs a trial. A downed node may still be finishing its commits while the cluster removes it, so its
/// trial goes to another slot only once the downing is final: the margin after its removal.</summary>
public sealed class DownedNodeMarginTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(4);
    private readonly string _root;
    private readonly StoreLocation _store;

    public DownedNodeMarginTests() : this(Path.Combine(Path.GetTempPath(), "orch-margin-" + Guid.NewGuid().ToString("N")[..8])) { }

    private DownedNodeMarginTests(string root) : this(root, StoreUrl.Parse($"sqlite:{Path.Combine(root, "store.db")}")) { }

    private DownedNodeMarginTests(string root, StoreLocation store) : base(RuntimeConfig.Node(store, NodeOptions.Standalone), "orchestrator")
    {
        _root = root;
        _store = store;
    }

    [Fact]
    public async Task A_downed_node_s_trial_is_queued_again_only_once_the_removal_margin_has_passed()
    {
        await using var store = await SqliteStore.OpenAsync(_store.DatabasePath);
        var now = DateTimeOffset.UtcNow;
        await store.RegisterSweepAsync(new SweepRecord("sw-margin", "margin", "", now), [new TrialRecord("t-1", "sw-margin", "{}", TrialStatus.Pending, null, 0, now)]);
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        await AwaitConditionAsync(() => Task.FromResult(cluster.SelfMember.Status == MemberStatus.Up), TimeSpan.FromSeconds(20));
        var coordinator = Sys.ActorOf(SweepCoordinator.Props(store, NullRunObserver.Instance,
            CoordinatorSettings.Default with { DownedNodeMargin = Margin }), "coordinator");

        using var worker = ActorSystem.Create(Sys.Name, RuntimeConfig.Node(_store, NodeOptions.Standalone with { Roles = [NodeOptions.WorkerRole] }));
        var workerCluster = Cluster.Get(worker);
        workerCluster.Join(cluster.SelfAddress);
        await AwaitConditionAsync(() => Task.FromResult(cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 2), TimeSpan.FromSeconds(20));
        var remote = CreateTestProbe(worker);
        var remoteCoordinator = await worker.ActorSelection(coordinator.Path.ToStringWithAddress(cluster.SelfAddress)).ResolveOne(TimeSpan.FromSeconds(10));
        remote.Send(remoteCoordinator, new RequestWork($"{workerCluster.SelfAddress}/user/slot-0", null));
        coordinator.Tell(new LaunchSweep("sw-margin", "margin", ["t-1"]), TestActor);
        ExpectMsg<SweepLaunchAccepted>(TimeSpan.FromSeconds(10));
        remote.ExpectMsg<WorkAssigned>(TimeSpan.FromSeconds(10)).TrialId.Should().Be("t-1");
        var local = CreateTestProbe();
        local.Send(coordinator, new RequestWork($"{cluster.SelfAddress}/user/slot-0", null));

        var membership = CreateTestProbe();
        cluster.Subscribe(membership.Ref, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        cluster.Down(workerCluster.SelfAddress);
        membership.FishForMessage(m => m is ClusterEvent.MemberRemoved r && r.Member.Address == workerCluster.SelfAddress, TimeSpan.FromSeconds(30));
        var removed = Stopwatch.StartNew();

        local.ExpectMsg<WorkAssigned>(TimeSpan.FromSeconds(30)).TrialId.Should().Be("t-1");
        // The test sees the removal a little after the coordinator does, on a loaded box up to about a second.
        removed.Elapsed.Should().BeGreaterThanOrEqualTo(Margin - TimeSpan.FromSeconds(1),
            "a downed node's trial must wait the removal margin after the node's removal before another slot gets it");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
