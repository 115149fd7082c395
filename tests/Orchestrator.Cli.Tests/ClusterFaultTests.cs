using Orchestrator.Domain.Events;
using Orchestrator.Store;
using Orchestrator.Tests.Shared;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// Faults survived by a cluster of real processes on a real PostgreSQL server on loopback: a worker killed with
/// SIGKILL mid-epoch, the database restarted mid-sweep, every process killed at once, a stale writer. Trials run
/// on the sleeping TEST engine (0.7 s per epoch). One collection: these tests share the 2-core machine with
/// each other badly.
/// </summary>
[Collection("cluster processes")]
public class ClusterFaultTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    private static async Task LaunchAsync(ClusterRig rig, string name, int seeds)
    {
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec(name, seeds));
        var launch = await rig.RunAsync("sweep", "launch", "spec.yaml");
        launch.ExitCode.Should().Be(0, launch.Stdout);
        launch.Stdout.Should().Contain($"{seeds} trial(s), {seeds} new");
    }

    [PostgresFact]
    public async Task A_worker_killed_mid_epoch_has_its_trial_finished_by_another_without_losing_or_repeating_an_epoch()
    {
        await using var rig = await ClusterRig.CreateAsync();
        await LaunchAsync(rig, "kill9", 1);
        var coordinator = rig.Coordinator();
        var first = rig.Worker("worker-a");
        await rig.WaitUntilAsync("two epochs journaled by worker a", async _ => await rig.JournaledEpochsAsync() >= 2, Long);
        await Task.Delay(TimeSpan.FromSeconds(ClusterRig.EpochSeconds / 2)); // into the next epoch
        first.Kill9();

        var second = rig.Worker("worker-b");
        await rig.WaitUntilAsync("the sweep completed on worker b", ClusterRig.AllCompletedAsync, Long);

        await using var store = await rig.OpenStoreAsync();
        var sweep = (await store.ListSweepsAsync()).Single();
        var trial = (await store.ListTrialsAsync(sweep.Id)).Single();
        var stored = await rig.AssertOneHistoryAsync(trial.Id);
        var attempts = stored.Select(e => e.Attempt).Distinct().ToList();
        attempts.Should().HaveCount(2, "worker a wrote the start, worker b the rest");
        stored.Where(e => e.Attempt == attempts[1]).OfType<GroupsUnfrozen>()
            .Should().NotBeEmpty("the unfreeze schedule carried on after the takeover, from the journaled patience and m");
        coordinator.Output.Should().Contain("is down: expired 1 lease(s)", rig.Logs());
        second.Output.Should().MatchRegex(@"resuming after epoch [2-9]", rig.Logs());
    }

    [PostgresFact]
    public async Task Without_a_shared_filesystem_checkpoints_travel_through_the_database_to_the_box_that_takes_over()
    {
        await using var rig = await ClusterRig.CreateAsync();
        await LaunchAsync(rig, "blobs", 1);
        rig.Environment["ORCHESTRATOR_CHECKPOINTS"] = "database";
        rig.Environment["ORCHESTRATOR_ARTIFACTS"] = Path.Combine(rig.Dir, "box-a");
        var first = rig.Worker("worker-a", lease: 3);
        await rig.WaitUntilAsync("three epochs journaled on box a", async _ => await rig.JournaledEpochsAsync() >= 3, Long);
        first.Kill9();

        var boxB = Path.Combine(rig.Dir, "box-b");
        rig.Environment["ORCHESTRATOR_ARTIFACTS"] = boxB;
        var second = rig.Worker("worker-b", lease: 3);
        await rig.WaitUntilAsync("the sweep completed on box b", ClusterRig.AllCompletedAsync, Long);

        second.Output.Should().MatchRegex(@"resuming after epoch [3-9]", rig.Logs()).And.Contain("checkpoints in the database");
        second.Output.Should().NotContain("unreadable", "box b fetched the checkpoints box a wrote");
        await using var store = await rig.OpenStoreAsync();
        var trial = (await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id)).Single();
        await rig.AssertOneHistoryAsync(trial.Id);
        var best = Orchestrator.Domain.Trials.TrialEvolution.Replay(await rig.AssertOneHistoryAsync(trial.Id)).BestCheckpoint!;
        var blob = await ((IArtifactBlobs)store).GetArtifactAsync(trial.Id, best);
        blob.Should().NotBeNull("the best weights are kept in the database");
        File.ReadAllBytes(Path.Combine(boxB, trial.Id, best)).Should().Equal(blob!.Value.Content);
    }

    [PostgresFact]
    public async Task Every_process_killed_at_once_then_restarted_resumes_and_completes_the_same_trial_set()
    {
        await using var rig = await ClusterRig.CreateAsync();
        await LaunchAsync(rig, "killall", 3);
        var processes = new[] { rig.Coordinator(), rig.Worker("worker-a"), rig.Worker("worker-b") };
        await rig.WaitUntilAsync("three epochs journaled", async _ => await rig.JournaledEpochsAsync() >= 3, Long);
        foreach (var p in processes) p.Kill9();

        IReadOnlyList<string> before;
        await using (var store = await rig.OpenStoreAsync())
            before = (await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id)).Select(t => t.Id).ToList();
        var again = await rig.RunAsync("sweep", "launch", "spec.yaml");
        again.Stdout.Should().Contain("3 trial(s), 0 new");

        rig.Coordinator("coordinator-2");
        rig.Worker("worker-c");
        rig.Worker("worker-d");
        await rig.WaitUntilAsync("the sweep completed after the restart", ClusterRig.AllCompletedAsync, Long);

        await using var after = await rig.OpenStoreAsync();
        var trials = await after.ListTrialsAsync((await after.ListSweepsAsync()).Single().Id);
        trials.Select(t => t.Id).Should().Equal(before);
        foreach (var t in trials) await rig.AssertOneHistoryAsync(t.Id);

        var status = await rig.RunAsync("sweep", "status", "killall", "--json");
        status.ExitCode.Should().Be(0, status.Stdout);
        status.Stdout.Should().Contain("\"completed\": 3");
    }

    [PostgresFact]
    public async Task A_stale_writer_whose_lease_was_taken_over_is_rejected_stops_and_says_so()
    {
        await using var rig = await ClusterRig.CreateAsync();
        await LaunchAsync(rig, "stale", 1);
        var stale = rig.Worker("worker-a", lease: 3);
        await rig.WaitUntilAsync("one epoch journaled", async _ => await rig.JournaledEpochsAsync() >= 1, Long);
        await Task.Delay(TimeSpan.FromSeconds(ClusterRig.EpochSeconds / 2));
        stale.Signal("STOP"); // frozen mid-epoch: no renewals, its lease runs out

        var taker = rig.Worker("worker-b", lease: 3);
        await rig.WaitUntilAsync("worker b journaled an epoch under a new lease", async s =>
        {
            return await rig.EpochJournaledByAttemptAsync(s, 2);
        }, Long);
        stale.Signal("CONT");

        await rig.WaitUntilAsync("the sweep completed", ClusterRig.AllCompletedAsync, Long);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!stale.Output.Contains("lease lost") && DateTime.UtcNow < deadline) await Task.Delay(200);
        stale.Output.Should().Contain("lease lost", rig.Logs());

        await using var store = await rig.OpenStoreAsync();
        var id = (await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id)).Single().Id;
        var stored = await rig.AssertOneHistoryAsync(id);
        stored.Where(e => e.Attempt == 1).Should().NotBeEmpty();
        stored.Select(e => e.Attempt).Distinct().Should().HaveCount(2, "nothing worker a did after the takeover counts");
    }

    [PostgresFact]
    public async Task A_database_restart_mid_sweep_is_ridden_out_with_reconnects_and_the_sweep_completes()
    {
        // A server of this test's own: restarting the shared one would break tests running beside it.
        var server = PgServer.Start();
        try
        {
            await using var rig = await ClusterRig.CreateAsync(server.Url[..server.Url.LastIndexOf('/')] + "/restart");
            await server.CreateDatabaseAsync("restart");
            await LaunchAsync(rig, "restart", 2);
            var coordinator = rig.Coordinator();
            rig.Worker("worker-a", slots: 2);
            await rig.WaitUntilAsync("two epochs journaled", async _ => await rig.JournaledEpochsAsync() >= 2, Long);

            server.Restart();

            await rig.WaitUntilAsync("the sweep completed after the restart", ClusterRig.AllCompletedAsync, Long);
            await using var store = await rig.OpenStoreAsync();
            foreach (var t in await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id))
                await rig.AssertOneHistoryAsync(t.Id);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!coordinator.Output.Contains("leading (term 2)") && DateTime.UtcNow < deadline) await Task.Delay(200);
            coordinator.Output.Should().Contain("lost the coordinator lock").And.Contain("leading (term 2)", rig.Logs());
        }
        finally
        {
            server.Stop();
        }
    }
}
