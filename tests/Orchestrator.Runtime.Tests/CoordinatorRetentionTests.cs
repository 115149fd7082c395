using Orchestrator.TestEngine;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using Orchestrator.Catalogue;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Runtime.Tests;

/// <summary>Ended sweeps leave the coordinator's state, so its snapshots hold live sweeps only; whatever asked the
/// coordinator about an ended sweep gets the same answers as before (its trial rows hold the outcome).</summary>
public class CoordinatorRetentionTests
{
    // Three trials (seeds) of one small spec; EPOCHS tells sweeps apart.
    private static readonly string Grid = RetentionTests.Grid.Replace("epochs: [6]", "epochs: [EPOCHS]") + "\nseeds: [1, 2, 3]";

    private static readonly CoordinatorSettings EverySnapshot = new(1, TimeSpan.FromMilliseconds(100));
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(10);

    private static PlannedSweep Sweep(SweepFixture fx, int n) =>
        SweepPlanner.Plan(SweepFixture.Yaml(fx.Root, Grid.Replace("EPOCHS", (n + 2).ToString(System.Globalization.CultureInfo.InvariantCulture))).Replace("name: test", $"name: sweep-{n}"));

    private static async Task<PlannedSweep> LaunchAsync(SweepFixture fx, PlannedSweep sweep)
    {
        (await SweepLauncher.LaunchAsync(fx.Store, sweep, m => fx.Node.Coordinator.Ask<object>(m, Ask), CancellationToken.None))
            .Trials.Should().Be(sweep.Trials.Count);
        return sweep;
    }

    [Fact]
    public async Task The_coordinator_s_snapshot_does_not_grow_with_the_sweeps_that_ended()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid.Replace("EPOCHS", "1"), EverySnapshot);
        var live = await LaunchAsync(fx, Sweep(fx, 0));
        for (var n = 1; n <= 25; n++)
        {
            var sweep = await LaunchAsync(fx, Sweep(fx, n));
            (await fx.Node.Coordinator.Ask<object>(new ControlSweep(sweep.Id, Cancel: true), Ask)).Should().BeOfType<SweepControlled>();
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        WorkQueueSnapshot? latest;
        while ((latest = await LatestSnapshotAsync(fx)) is not { Sweeps.Count: 1 } && DateTime.UtcNow < deadline) await Task.Delay(100);
        latest!.Sweeps.Select(s => s.Id).Should().Equal([live.Id], "only the sweep with pending trials is live");
    }

    [Fact]
    public async Task An_ended_sweep_s_state_cancel_resume_and_relaunch_answer_as_before_once_it_left_the_state()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid.Replace("EPOCHS", "1"), EverySnapshot);
        var sweep = await LaunchAsync(fx, Sweep(fx, 1));
        await fx.Node.Coordinator.Ask<object>(new ControlSweep(sweep.Id, Cancel: true), Ask);
        await WaitUntilRetiredAsync(fx, sweep.Id.Value);

        var state = (SweepState)await fx.Node.Coordinator.Ask<object>(new GetSweepState(sweep.Id), Ask);
        state.Ended.Should().BeTrue();
        state.Counts.Should().BeEquivalentTo(new Dictionary<string, int> { ["cancelled"] = 3 });
        (await fx.Node.Coordinator.Ask<object>(new GetSweepState(new SweepId("no-such-sweep")), Ask)).Should().BeOfType<UnknownSweep>();

        var relaunched = await SweepLauncher.LaunchAsync(fx.Store, sweep, m => fx.Node.Coordinator.Ask<object>(m, Ask), CancellationToken.None);
        relaunched.Should().Be(new SweepLaunchAccepted(sweep.Id, 3, 0, Cancelled: true), "launching the same spec again adds nothing");
        await WaitUntilRetiredAsync(fx, sweep.Id.Value);

        var resumed = (SweepControlled)await fx.Node.Coordinator.Ask<object>(new ControlSweep(sweep.Id, Cancel: false), Ask);
        resumed.Cancelled.Should().BeFalse();
        resumed.Counts.Should().BeEquivalentTo(new Dictionary<string, int> { ["pending"] = 3 });
        var pending = (SweepState)await fx.Node.Coordinator.Ask<object>(new GetSweepState(sweep.Id), Ask);
        pending.Ended.Should().BeFalse();
        (await fx.Node.Coordinator.Ask<object>(new GetQueueStatus(), Ask)).Should().BeOfType<QueueStatus>().Which.Pending.Should().Be(3);
    }

    [Fact]
    public async Task Running_a_completed_sweep_again_after_it_left_the_state_trains_nothing()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid.Replace("EPOCHS", "2").Replace("seeds: [1, 2, 3]", "seeds: [1]"), EverySnapshot);
        (await fx.RunAsync((_, _, _) => new FakeTrainer(4, e => 1.0 / e), workers: 1)).Should().OnlyContain(t => t.Status == TrialStatus.Completed);
        await WaitUntilRetiredAsync(fx, fx.Sweep.Id.Value);

        var trained = 0;
        (await fx.RunAsync((_, _, _) => { Interlocked.Increment(ref trained); return new FakeTrainer(4, e => 1.0 / e); }, workers: 1))
            .Should().OnlyContain(t => t.Status == TrialStatus.Completed);
        trained.Should().Be(0);
    }

    private static async Task WaitUntilRetiredAsync(SweepFixture fx, string sweepId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        // No snapshot yet (the first is written after the events it follows) counts as not retired yet.
        WorkQueueSnapshot? latest;
        while (((latest = await LatestSnapshotAsync(fx)) is null || latest.Sweeps.Any(x => x.Id.Value == sweepId)) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        latest.Should().NotBeNull("the coordinator snapshots after every event here");
        latest!.Sweeps.Should().NotContain(x => x.Id.Value == sweepId, "an ended sweep retires");
    }

    private static async Task<WorkQueueSnapshot?> LatestSnapshotAsync(SweepFixture fx)
    {
        await using var conn = new SqliteConnection($"Data Source={Path.Combine(fx.Root, "store.db")}");
        await conn.OpenAsync();
        await using var cmd = new SqliteCommand(
            "SELECT manifest, snapshot FROM snapshot WHERE persistence_id = $id ORDER BY sequence_number DESC LIMIT 1", conn);
        cmd.Parameters.AddWithValue("$id", SweepCoordinator.Id);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (WorkQueueSnapshot)CoordinatorEventCatalog.Deserialize(reader.GetString(0), (byte[])reader.GetValue(1)) : null;
    }
}
