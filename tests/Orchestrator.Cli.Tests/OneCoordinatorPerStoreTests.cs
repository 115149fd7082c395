using System.Text.Json;
using Orchestrator.Domain.Trials;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// One coordinator per store: a second `sweep run` on a store that another process already runs a sweep on joins that
/// process's cluster instead of starting a second coordinator on the same journal; both sweeps complete and no trial
/// starts twice.
/// </summary>
public class OneCoordinatorPerStoreTests
{
    private static string SpecOf(string name) => ClusterRig.Spec(name, seeds: 3).Replace("path: data", $"path: data-{name}", StringComparison.Ordinal);

    [Fact]
    public async Task Two_sweep_runs_one_second_apart_on_one_sqlite_store_both_complete_and_no_trial_starts_twice()
    {
        await using var rig = ClusterRig.CreateSqlite();
        await TwoRunsAsync(rig);
    }

    [PostgresFact]
    public async Task Two_sweep_runs_one_second_apart_on_one_postgres_store_both_complete_and_no_trial_starts_twice()
    {
        await using var rig = await ClusterRig.CreateAsync();
        await TwoRunsAsync(rig);
    }

    [PostgresFact]
    public async Task A_sweep_run_beside_a_running_cluster_on_its_database_joins_it_and_completes()
    {
        await using var rig = await ClusterRig.CreateAsync();
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "is up", TimeSpan.FromMinutes(1));
        var worker = rig.Worker("worker");
        await rig.WaitForOutputAsync(worker, "is up", TimeSpan.FromMinutes(1));
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), SpecOf("beside"));

        var run = rig.Start("run", "sweep", "run", "spec.yaml", "--workers", "1");
        await WaitForExitAsync(rig, run);
        run.Process.ExitCode.Should().Be(0, rig.Logs());
        run.Output.Should().Contain("joining its cluster").And.Contain("3 of 3 trial(s) completed");
        coordinator.Process.HasExited.Should().BeFalse("the cluster's coordinator goes on");
        await AssertEachTrialStartedOnceAsync(rig, sweeps: 1);
    }

    private static async Task WaitForExitAsync(ClusterRig rig, RunningCli run)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await run.Process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{run.Name} did not exit within 4 min\n{rig.Logs()}");
        }
        await Task.Delay(200); // its last output lines
    }

    private static async Task TwoRunsAsync(ClusterRig rig)
    {
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "first.yaml"), SpecOf("first"));
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "second.yaml"), SpecOf("second"));

        var first = rig.Start("first", "sweep", "run", "first.yaml", "--workers", "1");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var second = rig.Start("second", "sweep", "run", "second.yaml", "--workers", "1");

        await WaitForExitAsync(rig, first);
        await WaitForExitAsync(rig, second);
        first.Process.ExitCode.Should().Be(0, rig.Logs());
        second.Process.ExitCode.Should().Be(0, rig.Logs());
        first.Output.Should().Contain("3 of 3 trial(s) completed");
        second.Output.Should().Contain("3 of 3 trial(s) completed");
        (first.Output + second.Output).Should().NotContain("   at ", "no stack trace reaches the terminal");

        await AssertEachTrialStartedOnceAsync(rig, sweeps: 2);
    }

    private static async Task AssertEachTrialStartedOnceAsync(ClusterRig rig, int sweeps)
    {
        await using var store = await rig.OpenStoreAsync();
        var stored = await store.ListSweepsAsync();
        stored.Should().HaveCount(sweeps);
        foreach (var sweep in stored)
        foreach (var trial in await store.ListTrialsAsync(sweep.Id))
        {
            trial.Status.Should().Be(TrialStatus.Completed);
            var events = await rig.RunAsync("trial", "events", trial.Id.Value, "--all", "--json");
            events.ExitCode.Should().Be(0, events.Stdout);
            using var journal = JsonDocument.Parse(events.Stdout);
            journal.RootElement.EnumerateArray().Count(e => e.GetProperty("type").GetString() == "AttemptStarted")
                .Should().Be(1, $"trial {trial.Id} of {sweep.Name} runs once\n{rig.Logs()}");
            await rig.AssertOneHistoryAsync(trial.Id.Value);
        }
    }
}
