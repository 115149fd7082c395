using Orchestrator.Domain.Events;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// Faults survived by an Akka.Cluster of real processes on loopback with a real PostgreSQL server: a worker killed with
/// SIGKILL mid-epoch, the coordinator's node killed, the database restarted mid-sweep, every process killed at once, a
/// worker frozen until it is downed. Trials run on the sleeping TEST engine (0.7 s per epoch). One collection: these
/// tests share the 2-core machine with each other badly.
/// </summary>
[Collection("cluster processes")]
public class ClusterFaultTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static async Task LaunchAsync(ClusterRig rig, string name, int seeds)
    {
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec(name, seeds));
        var launch = await rig.RunAsync("sweep", "launch", "spec.yaml");
        launch.ExitCode.Should().Be(0, rig.Logs());
        launch.Stdout.Should().Contain($"{seeds} trial(s), {seeds} new");
    }

    private const double SlowEpochSeconds = 2.5;

    /// <summary>Epochs long enough for a second worker to start on the loaded 2-core machine before the first is done
    /// (at 1.5 s, a CI box busy with other work once let the first worker journal 6 epochs before the second was up).</summary>
    private static void SlowEpochs(ClusterRig rig) =>
        rig.Environment["ORCHESTRATOR_TEST_ENGINE"] = FormattableString.Invariant($"sleep:{SlowEpochSeconds}");

    private static async Task<IReadOnlyList<TrialRecord>> TrialsAsync(ClusterRig rig)
    {
        await using var store = await rig.OpenStoreAsync();
        return await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id);
    }

    [PostgresFact]
    public async Task A_worker_killed_mid_epoch_is_downed_and_its_trial_finished_by_another_without_losing_or_repeating_an_epoch()
    {
        await using var rig = await ClusterRig.CreateAsync();
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        await LaunchAsync(rig, "kill9", 1);
        SlowEpochs(rig);
        var first = rig.Worker("worker-a");
        await rig.WaitUntilAsync("an epoch journaled by worker a", async _ => await rig.JournaledEpochsAsync() >= 1, Long);
        var second = rig.Worker("worker-b");
        await rig.WaitForOutputAsync(second, "is up", Long);
        await rig.WaitUntilAsync("two epochs journaled by worker a", async _ => await rig.JournaledEpochsAsync() >= 2, Long);
        await Task.Delay(TimeSpan.FromSeconds(SlowEpochSeconds / 2)); // into the next epoch
        first.Kill9();
        (await rig.JournaledEpochsAsync()).Should().BeLessThan(6, "worker a was killed well before the trial's end");

        await rig.WaitUntilAsync("the sweep completed on worker b", ClusterRig.AllCompletedAsync, Long);

        var trial = (await TrialsAsync(rig)).Single();
        var stored = await rig.AssertOneHistoryAsync(trial.Id.Value);
        var attempts = stored.Select(e => e.Attempt).Distinct().ToList();
        attempts.Should().HaveCount(2, "worker a wrote the start, worker b the rest");
        stored.Where(e => e.Attempt == attempts[1]).OfType<GroupsUnfrozen>()
            .Should().NotBeEmpty("the unfreeze schedule carried on after the takeover, from the journaled patience and m");
        trial.Attempts.Should().Be(2, "the coordinator assigned it twice");
        coordinator.Output.Should().MatchRegex(@"handed back \(its node left the cluster \d+ s ago\)", rig.Logs(), "a removed node's trial waits the removal margin");
        second.Output.Should().MatchRegex(@"resuming after epoch [2-9]", rig.Logs());
    }

    [PostgresFact]
    public async Task The_coordinator_s_node_killed_moves_the_singleton_to_the_second_coordinator_and_the_sweep_completes_with_no_trial_run_twice()
    {
        await using var rig = await ClusterRig.CreateAsync();
        var first = rig.Coordinator("coordinator-1");
        await rig.WaitForOutputAsync(first, "coordinator on .*: recovered", Long);
        var second = rig.Coordinator("coordinator-2", ClusterRig.FreePort(), "--seed", $"127.0.0.1:{rig.SeedPort}");
        await rig.WaitForOutputAsync(second, "is up", Long);
        var worker = rig.Worker("worker", slots: 2, "--seed", $"127.0.0.1:{rig.SeedPort}");
        await LaunchAsync(rig, "failover", 3);
        await rig.WaitUntilAsync("two epochs journaled", async _ => await rig.JournaledEpochsAsync() >= 2, Long);
        first.Kill9();

        await rig.WaitForOutputAsync(second, "coordinator on .*: recovered", Long);
        await rig.WaitUntilAsync("the sweep completed under the second coordinator", ClusterRig.AllCompletedAsync, Long);

        second.Output.Should().MatchRegex(@"recovered in \d+ ms \(snapshot at event \d+, then [1-9]\d* event\(s\)\): 1 sweep\(s\)", rig.Logs());
        foreach (var trial in await TrialsAsync(rig))
        {
            var events = await rig.AssertOneHistoryAsync(trial.Id.Value);
            // The two trials that ran when the coordinator died kept running: one attempt each, never a second writer.
            (await Journals.ReadAsync(rig.StoreUrl, trial.Id.Value)).Should().OnlyContain(e => !e.Superseded, "no trial started twice at once");
            events.OfType<AttemptStarted>().Should().ContainSingle(rig.Logs());
        }
        worker.Process.HasExited.Should().BeFalse("the worker rode out the coordinator's move");
    }

    [PostgresFact]
    public async Task Without_a_shared_filesystem_checkpoints_travel_through_the_database_to_the_box_that_takes_over()
    {
        await using var rig = await ClusterRig.CreateAsync();
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        await LaunchAsync(rig, "blobs", 1);
        rig.Environment["ORCHESTRATOR_CHECKPOINTS"] = "database";
        rig.Environment["ORCHESTRATOR_ARTIFACTS"] = Path.Combine(rig.Dir, "box-a");
        var first = rig.Worker("worker-a");
        await rig.WaitUntilAsync("three epochs journaled on box a", async _ => await rig.JournaledEpochsAsync() >= 3, Long);
        first.Kill9();

        var boxB = Path.Combine(rig.Dir, "box-b");
        rig.Environment["ORCHESTRATOR_ARTIFACTS"] = boxB;
        var second = rig.Worker("worker-b");
        await rig.WaitUntilAsync("the sweep completed on box b", ClusterRig.AllCompletedAsync, Long);

        second.Output.Should().MatchRegex(@"resuming after epoch [3-9]", rig.Logs()).And.Contain("checkpoints in the database");
        second.Output.Should().NotContain("unreadable", "box b fetched the checkpoints box a wrote");
        var trial = (await TrialsAsync(rig)).Single();
        var best = Orchestrator.Domain.Trials.TrialEvolution.Replay(await rig.AssertOneHistoryAsync(trial.Id.Value)).BestCheckpoint!;
        await using var store = await rig.OpenStoreAsync();
        var blob = await ((IArtifactBlobs)store).GetArtifactAsync(trial.Id.Value, best);
        blob.Should().NotBeNull("the best weights are kept in the database");
        File.ReadAllBytes(Path.Combine(boxB, trial.Id.Value, best)).Should().Equal(blob!.Value.Content);
    }

    [PostgresFact]
    public async Task Every_process_killed_at_once_then_restarted_resumes_and_completes_the_same_trial_set()
    {
        await using var rig = await ClusterRig.CreateAsync();
        var processes = new List<RunningCli> { rig.Coordinator() };
        await rig.WaitForOutputAsync(processes[0], "coordinator on .*: recovered", Long);
        await LaunchAsync(rig, "killall", 3);
        processes.Add(rig.Worker("worker-a"));
        processes.Add(rig.Worker("worker-b"));
        await rig.WaitUntilAsync("three epochs journaled", async _ => await rig.JournaledEpochsAsync() >= 3, Long);
        foreach (var p in processes) p.Kill9();
        var before = (await TrialsAsync(rig)).Select(t => t.Id).ToList();

        var coordinator = rig.Coordinator("coordinator-2");
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        var again = await rig.RunAsync("sweep", "launch", "spec.yaml");
        again.Stdout.Should().Contain("3 trial(s), 0 new", rig.Logs());
        rig.Worker("worker-c");
        rig.Worker("worker-d");
        await rig.WaitUntilAsync("the sweep completed after the restart", ClusterRig.AllCompletedAsync, Long);

        var trials = await TrialsAsync(rig);
        trials.Select(t => t.Id).Should().Equal(before);
        foreach (var t in trials) await rig.AssertOneHistoryAsync(t.Id.Value);
        coordinator.Output.Should().Contain("is not in the cluster", "the recovered assignments of the dead workers were queued again");
        var status = await rig.RunAsync("sweep", "status", "killall", "--json");
        status.ExitCode.Should().Be(0, status.Stdout);
        status.Stdout.Should().Contain("\"completed\": 3");
    }

    [PostgresFact]
    public async Task A_frozen_worker_is_downed_its_trial_moves_and_once_thawed_it_exits_non_zero_with_its_late_writes_not_counting()
    {
        await using var rig = await ClusterRig.CreateAsync();
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        await LaunchAsync(rig, "frozen", 1);
        SlowEpochs(rig);
        var frozen = rig.Worker("worker-a");
        await rig.WaitUntilAsync("one epoch journaled", async _ => await rig.JournaledEpochsAsync() >= 1, Long);
        var taker = rig.Worker("worker-b");
        await rig.WaitForOutputAsync(taker, "is up", Long);
        await Task.Delay(TimeSpan.FromSeconds(SlowEpochSeconds / 2));
        frozen.Signal("STOP"); // frozen mid-epoch: no heartbeats; the split-brain resolver downs it
        (await rig.JournaledEpochsAsync()).Should().BeLessThan(6, "worker a was frozen well before the trial's end");

        await rig.WaitUntilAsync("worker b journaled an epoch under a new attempt", s => rig.EpochJournaledByAttemptAsync(s, 2), Long);
        frozen.Signal("CONT");
        await rig.WaitUntilAsync("the sweep completed", ClusterRig.AllCompletedAsync, Long);
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            await frozen.Process.WaitForExitAsync(exit.Token);

        frozen.Process.ExitCode.Should().Be(1, rig.Logs());
        frozen.Output.Should().Contain("this node was removed from the cluster");
        var id = (await TrialsAsync(rig)).Single().Id;
        var stored = await rig.AssertOneHistoryAsync(id.Value);
        stored.Where(e => e.Attempt == 1).Should().NotBeEmpty();
        stored.Select(e => e.Attempt).Distinct().Should().HaveCount(2, "nothing worker a did after the takeover counts");
    }

    [PostgresFact]
    public async Task A_database_restart_mid_sweep_is_ridden_out_and_the_sweep_completes()
    {
        // A server of this test's own: restarting the shared one would break tests running beside it.
        var server = PgServer.Start();
        try
        {
            await using var rig = await ClusterRig.CreateAsync(server.Url[..server.Url.LastIndexOf('/')] + "/restart");
            await server.CreateDatabaseAsync("restart");
            var coordinator = rig.Coordinator();
            await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
            await LaunchAsync(rig, "restart", 2);
            rig.Worker("worker-a", slots: 2);
            await rig.WaitUntilAsync("two epochs journaled", async _ => await rig.JournaledEpochsAsync() >= 2, Long);

            server.Restart();

            await rig.WaitUntilAsync("the sweep completed after the restart", ClusterRig.AllCompletedAsync, Long);
            foreach (var t in await TrialsAsync(rig)) await rig.AssertOneHistoryAsync(t.Id.Value);
        }
        finally
        {
            server.Stop();
        }
    }
}
