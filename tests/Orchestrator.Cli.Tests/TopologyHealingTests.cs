using Orchestrator.Domain.Events;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// The topologies docs/runtime.md offers ("A cluster of several boxes") heal without a person. Here: one coordinator box and two workers started as the
/// compose file starts them (every node lists the coordinator first, then the workers, as its seeds); the coordinator
/// is killed with SIGKILL and started again with the same command (2 s later, before the workers have removed it: it
/// waits until they have), and the workers, never restarted, carry the sweep to its end under it.
/// </summary>
[Collection("cluster processes")]
public class TopologyHealingTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    [PostgresFact]
    public async Task One_coordinator_box_killed_and_restarted_with_the_same_command_takes_its_workers_back_and_the_sweep_completes()
    {
        await using var rig = await ClusterRig.CreateAsync();
        int[] workerPorts = [ClusterRig.FreePort(), ClusterRig.FreePort()];
        rig.Environment["ORCHESTRATOR_SEEDS"] = string.Join(",", new[] { rig.SeedPort }.Concat(workerPorts).Select(p => $"127.0.0.1:{p}"));
        rig.Environment["ORCHESTRATOR_TEST_ENGINE"] = "sleep:1.2";
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        var workers = workerPorts.Select((port, i) => rig.Worker($"worker-{i + 1}", 1, "--port", port.ToString())).ToList();
        foreach (var w in workers) await rig.WaitForOutputAsync(w, "is up", Long);
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec("heal", 4));
        (await rig.RunAsync("sweep", "launch", "spec.yaml")).ExitCode.Should().Be(0, rig.Logs());
        await rig.WaitUntilAsync("two epochs journaled", async _ => await rig.JournaledEpochsAsync() >= 2, Long);

        coordinator.Kill9();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var restarted = rig.Coordinator("coordinator (restarted)");

        await rig.WaitUntilAsync("the sweep completed under the restarted coordinator", ClusterRig.AllCompletedAsync, Long);
        restarted.Output.Should().MatchRegex(@"a node at 127\.0\.0\.1:\d+ stopped \d+\.\d s ago without leaving; waiting \d+ s for the cluster to remove it",
            "a peer that still counts the old incarnation a member does not associate with the new one\n" + rig.Logs());
        workers.Should().OnlyContain(w => !w.Process.HasExited, "the workers were never restarted\n" + rig.Logs());
        restarted.Process.HasExited.Should().BeFalse(rig.Logs());
        var show = await rig.RunAsync("cluster", "show", "--json");
        show.ExitCode.Should().Be(0, rig.Logs());
        foreach (var port in workerPorts.Append(rig.SeedPort)) show.Stdout.Should().Contain($"127.0.0.1:{port}", "one cluster again");
        await using var store = await rig.OpenStoreAsync();
        foreach (var trial in await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id))
        {
            var events = await rig.AssertOneHistoryAsync(trial.Id.Value);
            (await Journals.ReadAsync(rig.StoreUrl, trial.Id.Value)).Should().OnlyContain(e => !e.Superseded, "no trial had two writers at once");
            events.OfType<TrialCompleted>().Should().ContainSingle();
            events.OfType<AttemptStarted>().Should().ContainSingle("the workers kept their trials through the outage\n" + rig.Logs());
        }
    }

    /// <summary>Workers whose view of the cluster holds no coordinator any more (here the only one was killed and never
    /// comes back: the two workers down it, as the resolver's down-if-alone says, and would run on as a cluster of two
    /// taking no work; in the nemesis, a worker and the rest downed each other across a partition and it ran on alone)
    /// leave their island once the bound passes (twice the rig's 2 s pause, 3 s stable-after and 5 s), exiting non-zero
    /// so that their supervisor starts them afresh.</summary>
    [Fact]
    public async Task Workers_left_without_any_coordinator_exit_for_their_supervisor()
    {
        await using var rig = ClusterRig.CreateSqlite();
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        var workers = new[] { rig.Worker("worker-1"), rig.Worker("worker-2") };
        foreach (var w in workers) await rig.WaitForOutputAsync(w, @"node akka\.tcp://\S+ is up", Long);
        (await rig.MemberCountAsync()).Should().Be(3, rig.Logs());

        coordinator.Kill9();

        foreach (var worker in workers)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try { await worker.Process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"{worker.Name} still runs 120 s after its coordinator was killed\n{rig.Logs()}"); }
            worker.Process.ExitCode.Should().Be(1, rig.Logs());
            worker.Output.Should().Contain("no coordinator in this node's view of the cluster for 20 s", rig.Logs());
            worker.Output.Should().Contain("this node was removed from the cluster", rig.Logs());
            worker.Output.Should().NotContain("   at ", "no stack trace reaches the terminal");
        }
    }

    /// <summary>A node its seeds do not let in (here: no seed up yet) starts afresh as a new incarnation once the
    /// bound passes (twice the rig's 2 s pause and 3 s stable-after, and 10 s), and joins once a seed answers. The
    /// nemesis found nodes restarted at their old address that their seeds answered but never reached.</summary>
    [PostgresFact]
    public async Task A_node_not_let_in_within_its_bound_starts_afresh_and_joins_when_a_seed_answers()
    {
        await using var rig = await ClusterRig.CreateAsync();
        var worker = rig.Worker("worker-1");
        await rig.WaitForOutputAsync(worker, @"not let into the cluster of 127\.0\.0\.1:\d+ within 20 s \(start 1\); starting afresh", Long);
        worker.Process.HasExited.Should().BeFalse(rig.Logs());
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        await rig.WaitForOutputAsync(worker, @"node akka\.tcp://\S+ is up", Long);
        (await rig.MemberCountAsync()).Should().Be(2, rig.Logs());
    }

    /// <summary>A node first in its own seed list would join itself when no other seed answers: while another process
    /// holds the store's coordinator lease (a live coordinator elsewhere), it leaves itself out and forms no island;
    /// once the lease is free, its fresh start may form the cluster. The store here is slow to answer (its holder
    /// table locked for longer than seed-node-timeout), as a loaded CI box's was when the node joined itself before
    /// the store had said anything.</summary>
    [PostgresFact]
    public async Task A_first_seed_forms_no_cluster_of_its_own_while_a_coordinator_of_its_store_lives_elsewhere()
    {
        await using var rig = await ClusterRig.CreateAsync();
        rig.Environment["ORCHESTRATOR_SEEDS"] = $"127.0.0.1:{rig.SeedPort},127.0.0.1:{ClusterRig.FreePort()}";
        await (await rig.OpenStoreAsync()).DisposeAsync(); // the schema, as a coordinator elsewhere would have made it
        var lease = Orchestrator.Catalogue.Leases.CoordinatorLeases.For(Orchestrator.Catalogue.StoreUrl.Parse(rig.StoreUrl));
        (await lease.TryAcquireAsync()).Should().BeTrue();
        await lease.PublishAsync(new Orchestrator.Catalogue.Leases.CoordinatorHolder("127.0.0.1:1", 1, "elsewhere", DateTimeOffset.UtcNow));
        var slowStore = await LockHolderTableAsync(rig.StoreUrl);
        var coordinator = rig.Coordinator();
        await Task.Delay(TimeSpan.FromSeconds(9));
        coordinator.Output.Should().NotMatchRegex(@"node akka\.tcp://\S+ is up", "no node joins itself before its store has answered\n" + rig.Logs());
        await slowStore.DisposeAsync(); // the lock goes with the session
        await rig.WaitForOutputAsync(coordinator, "a coordinator of this store runs elsewhere .*elsewhere.*never forming one of its own", Long);
        // Past the seed-node-timeout after which a first seed would have joined itself.
        await Task.Delay(Orchestrator.Runtime.Hosting.RuntimeConfig.FirstSeedTimeout + TimeSpan.FromSeconds(3));
        coordinator.Output.Should().NotMatchRegex(@"node akka\.tcp://\S+ is up", "no island beside the live coordinator\n" + rig.Logs());

        await lease.DisposeAsync();
        await rig.WaitForOutputAsync(coordinator, @"node akka\.tcp://\S+ is up", Long);
        coordinator.Output.Should().Contain("starting afresh");
    }

    private static async Task<Npgsql.NpgsqlConnection> LockHolderTableAsync(string storeUrl)
    {
        var session = new Npgsql.NpgsqlConnection(Orchestrator.Catalogue.StoreUrl.Parse(storeUrl).Postgres!.ConnectionString());
        await session.OpenAsync();
        await using var lockTable = new Npgsql.NpgsqlCommand("BEGIN; LOCK TABLE coordinator_holder IN ACCESS EXCLUSIVE MODE;", session);
        await lockTable.ExecuteNonQueryAsync();
        return session;
    }
}
