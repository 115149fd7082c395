using Orchestrator.Domain.Trials;
using Orchestrator.Catalogue;
using System.Text.Json;

namespace Orchestrator.Cli.Tests;

/// <summary>The cluster commands as a user types them, on a laptop cluster of processes sharing one SQLite file
/// (the sleeping TEST engine trains).</summary>
[Collection("cluster processes")]
public class ClusterCommandTests
{
    [Fact]
    public async Task Launch_cancel_resume_run_and_query_a_sweep_with_worker_and_coordinator_processes()
    {
        await using var rig = ClusterRig.CreateSqlite();
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec("cli", 2));
        var unreachable = await rig.RunAsync("sweep", "launch", "spec.yaml", "--timeout", "2");
        unreachable.ExitCode.Should().Be(3, "no coordinator runs yet: " + unreachable.Stdout);
        unreachable.Stdout.Should().Contain("no answer from the cluster");

        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", TimeSpan.FromMinutes(1));
        (await rig.RunAsync("sweep", "launch", "spec.yaml")).Stdout.Should().Contain("2 trial(s), 2 new");
        using (var again = JsonDocument.Parse((await rig.RunAsync("sweep", "launch", "spec.yaml", "--json")).Stdout))
            again.RootElement.GetProperty("added").GetInt32().Should().Be(0, "the same spec twice creates nothing");

        (await rig.RunAsync("sweep", "cancel", "cli")).Stdout.Should().Contain("cancelled").And.Contain("2 cancelled");
        (await rig.RunAsync("sweep", "resume", "cli")).Stdout.Should().Contain("resumed").And.Contain("2 pending");

        var worker = await rig.RunAsync("worker", "--slots", "2", "--exit-when-idle");
        worker.ExitCode.Should().Be(0, rig.Logs());
        worker.Stdout.Should().Contain("TEST ENGINE").And.Contain("no pending or running trial is left");

        // The worker left: once the leader has removed it (it may still show as exiting for a moment), one member
        // is left; the CLI's own queries never join.
        JsonDocument show;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            show = JsonDocument.Parse((await rig.RunAsync("cluster", "show", "--json")).Stdout);
            if (show.RootElement.GetProperty("members").GetArrayLength() == 1 || DateTime.UtcNow > deadline) break;
            show.Dispose();
        }
        using var _ = show;
        var members = show.RootElement.GetProperty("members").EnumerateArray().ToList();
        members.Should().ContainSingle("the worker left; the CLI never joins");
        members[0].GetProperty("roles")[0].GetString().Should().Be("coordinator");
        members[0].GetProperty("status").GetString().Should().Be("up");
        var address = members[0].GetProperty("address").GetString()!;
        show.RootElement.GetProperty("coordinator").GetString().Should().Be(address);

        using (var leader = JsonDocument.Parse((await rig.RunAsync("cluster", "leader", "--json")).Stdout))
            leader.RootElement.GetProperty("coordinator").GetString().Should().Be(address);
        (await rig.RunAsync("node", "drain", address)).Stdout.Should().Contain("draining");
        var nobody = await rig.RunAsync("node", "drain", "127.0.0.1:1", "--timeout", "2");
        nobody.ExitCode.Should().Be(2, nobody.Stdout);
        var malformed = await rig.RunAsync("node", "drain", "not-an-address");
        malformed.ExitCode.Should().Be(2, malformed.Stdout);

        using var status = JsonDocument.Parse((await rig.RunAsync("sweep", "status", "cli", "--json")).Stdout);
        status.RootElement.GetProperty("counts").GetProperty("completed").GetInt32().Should().Be(2);
        status.RootElement.GetProperty("progress").GetProperty("epochsDone").GetInt32().Should().Be(14, "two trials of 7 epochs");
        status.RootElement.GetProperty("progress").GetProperty("etaSeconds").GetDouble().Should().Be(0);
        var trialId = status.RootElement.GetProperty("trials")[0].GetProperty("id").GetString()!;

        using var trial = JsonDocument.Parse((await rig.RunAsync("trial", "show", trialId, "--json")).Stdout);
        trial.RootElement.GetProperty("trial").GetProperty("status").GetString().Should().Be("completed");
        trial.RootElement.GetProperty("assignments").GetInt32().Should().Be(1);
        trial.RootElement.GetProperty("events").GetInt32().Should().BeGreaterThan(14);
        coordinator.Output.Should().Contain("has ended: 2 completed");
    }

    [Fact]
    public async Task A_store_url_with_a_password_is_refused_in_one_line_that_does_not_repeat_it()
    {
        var misplaced = await Cli.RunAsync(Cli.TempDir(), TimeSpan.FromMinutes(1), "cluster", "show", "--store", "postgres://alice:s3cret@db.example/orch");
        misplaced.ExitCode.Should().Be(2, "an option the command does not take is bad input");
        misplaced.Stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("error: Unrecognized").And.NotContain("s3cret");

        var result = await Cli.RunAsync(Cli.TempDir(), TimeSpan.FromMinutes(1), "sweep", "status", "x", "--store", "postgres://alice:s3cret@db.example/orch");
        result.ExitCode.Should().Be(2);
        result.Stderr.Trim().Should().StartWith("error:").And.Contain("password").And.Contain("PGPASSWORD").And.NotContain("s3cret");
        result.Stderr.Trim().Split('\n').Should().ContainSingle();
    }

    [Fact]
    public async Task A_termination_signal_stops_sweep_run_at_the_epoch_boundary_hands_its_trials_back_and_the_same_command_resumes()
    {
        await using var rig = ClusterRig.CreateSqlite();
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec("ctrl-c", 2));
        // Epochs long enough that the run is surely still going when the signal comes, even on a busy machine.
        rig.Environment["ORCHESTRATOR_TEST_ENGINE"] = "sleep:2";
        var run = rig.Start("run", "sweep", "run", "spec.yaml", "--workers", "2");
        await rig.WaitUntilAsync("an epoch journaled", async _ => await rig.JournaledEpochsAsync() >= 1, TimeSpan.FromMinutes(2));
        run.Process.HasExited.Should().BeFalse(rig.Logs());

        // SIGTERM, as systemd or `docker stop` send it; Ctrl+C (SIGINT) takes the same path, but a test runner started in
        // the background by a non-interactive shell passes SIGINT on as ignored.
        run.Signal("TERM");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
            await run.Process.WaitForExitAsync(timeout.Token);

        run.Process.ExitCode.Should().Be(130, rig.Logs());
        run.Output.Should().Contain("interrupted: progress so far is journaled");
        await using (var store = await rig.OpenStoreAsync())
            (await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id))
                .Should().OnlyContain(t => t.Status == TrialStatus.Pending, "the trials were handed back, not left leased");

        rig.Environment["ORCHESTRATOR_TEST_ENGINE"] = "sleep:0.2";
        var again = await rig.RunAsync("sweep", "run", "spec.yaml", "--workers", "2");
        again.ExitCode.Should().Be(0, again.Stdout);
        again.Stdout.Should().Contain("2 of 2 trial(s) completed");
        await using var after = await rig.OpenStoreAsync();
        foreach (var trial in await after.ListTrialsAsync((await after.ListSweepsAsync()).Single().Id))
            await rig.AssertOneHistoryAsync(trial.Id.Value);
    }
}
