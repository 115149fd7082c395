using Orchestrator.Runtime.Membership;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Domain.Trials;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Tests;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}

public class MembershipPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly MembershipThresholds Thresholds = new(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));

    private static NodeRecord Node(NodeStatus status = NodeStatus.Up) => new("n", "h", 1, "worker", 1, 0, T0, T0, status, false);

    [Theory]
    [InlineData(0, NodeStatus.Up)]
    [InlineData(14.9, NodeStatus.Up)]
    [InlineData(15, NodeStatus.Unreachable)]
    [InlineData(29.9, NodeStatus.Unreachable)]
    [InlineData(30, NodeStatus.Down)]
    [InlineData(3600, NodeStatus.Down)]
    public void A_node_s_status_follows_the_age_of_its_last_heartbeat(double ageSeconds, NodeStatus expected) =>
        MembershipPolicy.Classify(Node(), T0.AddSeconds(ageSeconds), Thresholds).Should().Be(expected);

    [Fact]
    public void A_node_that_left_stays_left_and_a_fresh_heartbeat_brings_a_down_node_back() =>
        (MembershipPolicy.Classify(Node(NodeStatus.Left), T0.AddHours(1), Thresholds),
         MembershipPolicy.Classify(Node(NodeStatus.Down), T0.AddSeconds(1), Thresholds))
        .Should().Be((NodeStatus.Left, NodeStatus.Up));

    [Fact]
    public void Thresholds_must_be_positive_and_ordered()
    {
        FluentActions.Invoking(() => new MembershipThresholds(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)).Validated())
            .Should().Throw<ArgumentException>().WithMessage("*unreachable-after*down-after*");
        FluentActions.Invoking(() => new MembershipThresholds(TimeSpan.Zero, TimeSpan.FromSeconds(5)).Validated()).Should().Throw<ArgumentException>();
        MembershipThresholds.Default.Validated().Should().Be(MembershipThresholds.Default);
    }
}

public class ClusterCoordinatorTests
{
    private const string Grid = """
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        seeds: [1, 2]
        inputSize: 16
        batchSize: 8
        hyperparameters: { patience: [1], step: [2], decay: [0.1], epochs: [6] }
        """;

    [Fact]
    public async Task A_silent_node_turns_unreachable_then_down_and_its_leases_go_to_other_slots()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid);
        var t0 = DateTimeOffset.UtcNow;
        var clock = new ManualClock(t0);
        var lease = TimeSpan.FromMinutes(10);
        await fx.Store.RegisterNodeAsync(new NodeRecord("dead-box:1:1", "dead-box", 1, "worker", 1, 1, t0, t0, NodeStatus.Up, false));
        await fx.Store.RegisterNodeAsync(new NodeRecord("live-box:2:2", "live-box", 2, "worker", 1, 0, t0, t0, NodeStatus.Up, false));
        var held = await fx.Store.TryClaimAnyTrialAsync("dead-box:1:1/slot-0", t0, lease);
        var self = new NodeIdentity("coord", 3, 3);
        var coordinator = new ClusterCoordinator(fx.Store, self, clock,
            new ClusterCoordinatorOptions(new MembershipThresholds(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30)), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)),
            NullRunObserver.Instance);

        async Task<Dictionary<string, NodeStatus>> TickAtAsync(double seconds)
        {
            clock.Now = t0.AddSeconds(seconds);
            await fx.Store.HeartbeatAsync("live-box:2:2", 0, clock.Now);
            await coordinator.TickAsync(CancellationToken.None);
            return (await fx.Store.ListNodesAsync()).ToDictionary(n => n.Id, n => n.Status);
        }

        (await TickAtAsync(10))["dead-box:1:1"].Should().Be(NodeStatus.Up);
        (await TickAtAsync(20))["dead-box:1:1"].Should().Be(NodeStatus.Unreachable);
        (await fx.Store.TryClaimTrialAsync(fx.Sweep.Id, "live-box:2:2/slot-0", clock.Now, lease))!.TrialId
            .Should().NotBe(held!.TrialId, "an unreachable node keeps its lease");
        var statuses = await TickAtAsync(31);
        statuses["dead-box:1:1"].Should().Be(NodeStatus.Down);
        statuses["live-box:2:2"].Should().Be(NodeStatus.Up);

        var taken = await fx.Store.TryClaimAnyTrialAsync("live-box:2:2/slot-1", clock.Now, lease);
        taken.Should().NotBeNull("the down node's lease was expired long before it would have run out");
        taken!.TrialId.Should().Be(held.TrialId);
        taken.Epoch.Should().Be(held.Epoch + 1);
    }

    [Fact]
    public async Task A_cancelled_sweep_stops_its_running_trial_at_the_epoch_boundary_and_resumes_from_its_journal()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid.Replace("seeds: [1, 2]", "seeds: [1]"));
        var trialId = fx.Sweep.Trials.Single().Id;
        // The cancel comes while epoch 3 trains, and that epoch takes until the coordinator has seen it.
        var trainer = (TrainerFactory)((_, _) => new ScriptedTrainer(4, e => e <= 3 ? 1.0 / e : 0.5)
        {
            OnTrainEpoch = e =>
            {
                if (e != 3) return;
                fx.Store.SetSweepCancelledAsync(fx.Sweep.Id, true, DateTimeOffset.UtcNow).GetAwaiter().GetResult();
                Thread.Sleep(500);
            },
        });

        var final = await fx.RunAsync(trainer, workers: 1);

        final.Single().Status.Should().Be(TrialStatus.Cancelled);
        var kept = TrialEvolution.Replay(await fx.EffectiveAsync(trialId));
        kept.EpochsDone.Should().Be(3, "the epoch under way when the cancel came is journaled, the next one never starts");
        (await fx.Store.TryClaimAnyTrialAsync("n/slot-0", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1))).Should().BeNull();

        await fx.Store.SetSweepCancelledAsync(fx.Sweep.Id, false, DateTimeOffset.UtcNow);
        var plain = (TrainerFactory)((_, _) => new ScriptedTrainer(4, e => e <= 3 ? 1.0 / e : 0.5));
        (await fx.RunAsync(plain, workers: 1)).Single().Status.Should().Be(TrialStatus.Completed);

        var events = await fx.EffectiveAsync(trialId);
        TrialAudit.Violations(events).Should().BeEmpty();
        events.OfType<Orchestrator.Domain.Events.EpochCompleted>().Select(e => e.Epoch).Should().Equal(Enumerable.Range(1, 6));
    }
}

public class SweepProgressTests
{
    [Fact]
    public async Task The_estimate_spreads_the_epochs_left_over_the_live_slots_at_the_mean_epoch_time()
    {
        await using var fx = await SweepFixture.CreateAsync("""
            backbones: [lightweight-cnn]
            strategies: [dynamic]
            seeds: [1, 2, 3]
            inputSize: 16
            batchSize: 8
            hyperparameters: { patience: [1], step: [2], decay: [0.1], epochs: [10] }
            """);
        var views = await SweepViews.LoadAsync(fx.Store, fx.Node.Journal, fx.Sweep.Id, CancellationToken.None);

        var p = SweepProgress.Estimate(views, [2.0, 4.0], slots: 2);
        p.TrialsByStatus.Should().Equal(new Dictionary<string, int> { ["pending"] = 3 });
        p.EpochsLeftAtMost.Should().Be(30);
        p.Eta.Should().Be(TimeSpan.FromSeconds(30 * 3.0 / 2));
        SweepProgress.Estimate(views, [], slots: 2).Eta.Should().BeNull("no epoch has been timed");
        SweepProgress.Estimate(views, [3.0], slots: 0).Eta.Should().BeNull("no worker is up");
        SweepProgress.Estimate(views, [3.0], slots: 8).Eta.Should().Be(TimeSpan.FromSeconds(30), "three trials keep at most three slots busy");
    }
}
