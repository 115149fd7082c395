using System.Diagnostics;
using Akka.Cluster;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Tests;

/// <summary>A downed node's actor system has already terminated: its process should exit at once, not first ask the
/// dead coordinator proxy to stop and the cluster to let it leave (each waited out to its bound: 25 s, found by the
/// nemesis's partitions, which saw a node say "exiting" and still run).</summary>
public sealed class DownedNodeShutdownTests
{
    [Fact]
    public async Task A_downed_node_is_disposed_without_waiting_on_its_terminated_system()
    {
        var fixture = await SweepFixture.CreateAsync("backbones: [lightweight-cnn]\nstrategies: [dynamic]\nseeds: [1]");
        try
        {
            var first = Cluster.Get(fixture.Node.System).SelfAddress;
            var location = StoreUrl.Parse("sqlite:" + Path.Combine(fixture.Root, "store.db"));
            var worker = await OrchestratorNode.StartAsync(location, NodeOptions.Standalone with
            {
                Roles = [NodeOptions.WorkerRole],
                Seeds = [new SeedAddress(first.Host!, first.Port!.Value)],
            }, fixture.Store, NullRunObserver.Instance);
            Cluster.Get(fixture.Node.System).Down(worker.Address);
            (await worker.Terminated.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue("the node was downed, not asked to leave");

            var clock = Stopwatch.StartNew();
            await worker.DisposeAsync();
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), "nothing is left to stop or to tell");
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }
}
