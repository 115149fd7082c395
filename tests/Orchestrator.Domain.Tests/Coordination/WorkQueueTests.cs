using System.Text;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Coordination;

public class WorkQueueTests
{
    private const string SlotA = "akka.tcp://orchestrator@10.0.0.1:4053/user/slots/slot-0";
    private const string SlotB = "akka.tcp://orchestrator@10.0.0.2:4053/user/slots/slot-0";

    /// <summary>Applies a decision that must not be null (what the coordinator does with one) and returns it.</summary>
    private static T Do<T>(WorkQueue queue, T? decision) where T : CoordinatorEvent
    {
        decision.Should().NotBeNull();
        queue.Apply(decision!);
        return decision!;
    }

    private static WorkQueue Launched(params (string Sweep, string[] Trials)[] sweeps)
    {
        var queue = new WorkQueue();
        foreach (var (sweep, trials) in sweeps) Do(queue, queue.Launch(new SweepId(sweep), sweep + "-name", Trials(trials)));
        return queue;
    }

    private static TrialId[] Trials(IEnumerable<string> ids) => [.. ids.Select(id => new TrialId(id))];

    private static SweepId? Only(string? sweep) => sweep is null ? null : new SweepId(sweep);

    /// <summary>Assigns and applies until nothing is pending; the trials in the order they were handed out.</summary>
    private static List<string> Drain(WorkQueue queue, string slot = SlotA, string? onlySweep = null)
    {
        var order = new List<string>();
        while (queue.Assign(slot, Only(onlySweep)) is { } assigned)
        {
            queue.Apply(assigned);
            order.Add(assigned.TrialId.Value);
        }
        return order;
    }

    private static string State(WorkQueue queue) => Encoding.UTF8.GetString(CoordinatorEventCatalog.Serialize(queue.Snapshot()));

    // ---- indexes ----

    [Fact]
    public void What_a_slot_runs_and_the_counts_follow_every_event_and_survive_a_snapshot()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Assign(SlotB));
        queue.RunningOn(SlotA).Should().Be((new TrialId("t1"), 1));
        queue.RunningOn(SlotB).Should().Be((new TrialId("t2"), 1));
        queue.RunningCount.Should().Be(2);
        queue.Counts(new SweepId("s1")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int> { [TrialStatus.Running] = 2, [TrialStatus.Pending] = 1 });

        Do(queue, queue.Release(new TrialId("t1"), 1, "gone"));
        Do(queue, queue.Finish(new TrialId("t2"), 1, TrialEnd.Completed));
        queue.RunningOn(SlotA).Should().BeNull();
        queue.RunningOn(SlotB).Should().BeNull();
        Do(queue, queue.Assign(SlotB)).Should().Be(new TrialAssigned(new TrialId("t1"), SlotB, 2), "a trial handed back is first in line");

        var restored = WorkQueue.From(queue.Snapshot());
        restored.RunningOn(SlotB).Should().Be((new TrialId("t1"), 2));
        restored.Counts(new SweepId("s1")).Should().BeEquivalentTo(queue.Counts(new SweepId("s1")));
        Do(restored, restored.Finish(new TrialId("t1"), 2, TrialEnd.Failed));
        Do(restored, restored.Assign(SlotA));
        restored.HasEnded(new SweepId("s1")).Should().BeFalse();
        Do(restored, restored.Finish(new TrialId("t3"), 1, TrialEnd.Completed));
        restored.HasEnded(new SweepId("s1")).Should().BeTrue();
        restored.RunningCount.Should().Be(0);
        restored.Counts(new SweepId("s1")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int> { [TrialStatus.Completed] = 2, [TrialStatus.Failed] = 1 });
        restored.Counts(new SweepId("nope")).Should().BeEmpty();
    }

    [Fact]
    public void A_diverged_trial_has_ended_frees_its_slot_and_is_not_queued_again()
    {
        var queue = Launched(("s1", ["t1", "t2"]));
        Do(queue, queue.Assign(SlotA));

        Do(queue, queue.Finish(new TrialId("t1"), 1, TrialEnd.Diverged));

        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Diverged);
        queue.RunningOn(SlotA).Should().BeNull();
        Do(queue, queue.Assign(SlotA)).TrialId.Should().Be(new TrialId("t2"), "the slot takes other work; the diverged trial is a result");
        Do(queue, queue.Finish(new TrialId("t2"), 1, TrialEnd.Completed));
        queue.Assign(SlotA).Should().BeNull();
        queue.HasEnded(new SweepId("s1")).Should().BeTrue();
        queue.Counts(new SweepId("s1")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int> { [TrialStatus.Diverged] = 1, [TrialStatus.Completed] = 1 });
        WorkQueue.From(queue.Snapshot()).StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Diverged);
    }

    [Fact]
    public void A_slot_holding_its_next_trial_has_both_on_it_and_keeps_the_second_when_the_first_ends()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Assign(SlotA));
        queue.AllOn(SlotA).Should().BeEquivalentTo([(new TrialId("t1"), 1), (new TrialId("t2"), 1)]);
        queue.AllOn(SlotB).Should().BeEmpty();

        Do(queue, queue.Finish(new TrialId("t1"), 1, TrialEnd.Completed));
        queue.AllOn(SlotA).Should().Equal([(new TrialId("t2"), 1)]);
        queue.RunningOn(SlotA).Should().Be((new TrialId("t2"), 1));
        WorkQueue.From(queue.Snapshot()).AllOn(SlotA).Should().Equal([(new TrialId("t2"), 1)]);
    }

    // ---- launch ----

    [Fact]
    public void A_launch_queues_its_trials_in_launch_order()
    {
        var queue = new WorkQueue();

        var launched = Do(queue, queue.Launch(new SweepId("s1"), "grid", [new TrialId("t3"), new TrialId("t1"), new TrialId("t2")]));

        launched.Should().BeEquivalentTo(new SweepLaunched(new SweepId("s1"), "grid", [new TrialId("t3"), new TrialId("t1"), new TrialId("t2")]), o => o.WithStrictOrdering());
        queue.Knows(new SweepId("s1")).Should().BeTrue();
        queue.Knows(new SweepId("s2")).Should().BeFalse();
        queue.SweepIds.Should().Equal(new SweepId("s1"));
        queue.TrialsOf(new SweepId("s1")).Should().Equal(new TrialId("t3"), new TrialId("t1"), new TrialId("t2"));
        queue.PendingCount.Should().Be(3);
        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Pending);
        queue.SweepOf(new TrialId("t1")).Should().Be(new SweepId("s1"));
        queue.AssignmentsOf(new TrialId("t1")).Should().Be(0);
        queue.AssignmentOf(new TrialId("t1")).Should().BeNull();
        queue.HasEnded(new SweepId("s1")).Should().BeFalse();
        Drain(queue).Should().Equal("t3", "t1", "t2");
    }

    [Fact]
    public void Launching_the_same_ids_again_is_nothing_to_do()
    {
        var queue = Launched(("s1", ["t1", "t2"]));
        var before = State(queue);

        queue.Launch(new SweepId("s1"), "grid", [new TrialId("t1"), new TrialId("t2")]).Should().BeNull();
        queue.Launch(new SweepId("s1"), "grid", [new TrialId("t2"), new TrialId("t1"), new TrialId("t1")]).Should().BeNull();
        queue.Launch(new SweepId("s1"), "grid", []).Should().BeNull();
        State(queue).Should().Be(before);
    }

    [Fact]
    public void Launching_an_extended_list_adds_only_the_new_ids_once_each()
    {
        var queue = Launched(("s1", ["t1", "t2"]));

        var extended = Do(queue, queue.Launch(new SweepId("s1"), "grid", [new TrialId("t1"), new TrialId("t4"), new TrialId("t2"), new TrialId("t3"), new TrialId("t4")]));

        extended.TrialIds.Should().Equal(new TrialId("t4"), new TrialId("t3"));
        queue.TrialsOf(new SweepId("s1")).Should().Equal(new TrialId("t1"), new TrialId("t2"), new TrialId("t4"), new TrialId("t3"));
        queue.PendingCount.Should().Be(4);
        Drain(queue).Should().Equal("t1", "t2", "t4", "t3");
    }

    [Fact]
    public void Duplicate_ids_in_one_launch_are_added_once()
    {
        var queue = new WorkQueue();

        Do(queue, queue.Launch(new SweepId("s1"), "grid", [new TrialId("t1"), new TrialId("t1"), new TrialId("t2"), new TrialId("t1")])).TrialIds.Should().Equal(new TrialId("t1"), new TrialId("t2"));

        queue.PendingCount.Should().Be(2);
        queue.TrialsOf(new SweepId("s1")).Should().Equal(new TrialId("t1"), new TrialId("t2"));
    }

    [Fact]
    public void A_trial_that_belongs_to_another_sweep_is_not_added_again()
    {
        var queue = Launched(("s1", ["t1", "t2"]));

        var second = Do(queue, queue.Launch(new SweepId("s2"), "other", [new TrialId("t2"), new TrialId("t5")]));

        second.TrialIds.Should().Equal(new TrialId("t5"));
        queue.SweepOf(new TrialId("t2")).Should().Be(new SweepId("s1"));
        queue.TrialsOf(new SweepId("s1")).Should().Equal(new TrialId("t1"), new TrialId("t2"));
        queue.TrialsOf(new SweepId("s2")).Should().Equal(new TrialId("t5"));
        queue.PendingCount.Should().Be(3);
        queue.Launch(new SweepId("s2"), "other", [new TrialId("t1"), new TrialId("t2"), new TrialId("t5")]).Should().BeNull("all three are known, two of them to another sweep");
    }

    [Fact]
    public void A_new_sweep_whose_trials_all_belong_to_others_is_still_launched_and_has_ended()
    {
        var queue = Launched(("s1", ["t1"]));

        var launched = Do(queue, queue.Launch(new SweepId("s2"), "dup", [new TrialId("t1")]));

        launched.TrialIds.Should().BeEmpty();
        queue.Knows(new SweepId("s2")).Should().BeTrue();
        queue.TrialsOf(new SweepId("s2")).Should().BeEmpty();
        queue.HasEnded(new SweepId("s2")).Should().BeTrue();
        queue.Counts(new SweepId("s2")).Should().BeEmpty();
        queue.Launch(new SweepId("s2"), "dup", [new TrialId("t1")]).Should().BeNull();
    }

    [Fact]
    public void Applying_a_launch_that_names_a_known_trial_skips_it()
    {
        var queue = Launched(("s1", ["t1"]));

        queue.Apply(new SweepLaunched(new SweepId("s2"), "replayed", [new TrialId("t1"), new TrialId("t9")]));

        queue.SweepOf(new TrialId("t1")).Should().Be(new SweepId("s1"));
        queue.TrialsOf(new SweepId("s2")).Should().Equal(new TrialId("t9"));
        queue.PendingCount.Should().Be(2);
    }

    // ---- assignment ----

    [Fact]
    public void Trials_are_assigned_oldest_sweep_first_in_launch_order_within_a_sweep()
    {
        // Launched zeta first: the order is the launches', not the ids'.
        var queue = Launched(("zeta", ["z2", "z1"]), ("alpha", ["a2", "a1", "a3"]));

        var first = Do(queue, queue.Assign(SlotA));

        first.Should().Be(new TrialAssigned(new TrialId("z2"), SlotA, 1));
        queue.StatusOf(new TrialId("z2")).Should().Be(TrialStatus.Running);
        queue.AssignmentOf(new TrialId("z2")).Should().Be((SlotA, 1));
        queue.AssignmentsOf(new TrialId("z2")).Should().Be(1);
        queue.PendingCount.Should().Be(4);
        Drain(queue, SlotB).Should().Equal("z1", "a2", "a1", "a3");
        queue.Assign(SlotA).Should().BeNull();
    }

    [Fact]
    public void An_extension_queues_its_new_trials_behind_those_already_pending()
    {
        // The queue is first in, first out per launch: trials an older sweep gains later wait behind a younger sweep's.
        var queue = Launched(("s1", ["a1"]), ("s2", ["b1"]));
        Do(queue, queue.Launch(new SweepId("s1"), "grid", [new TrialId("a1"), new TrialId("a2")]));

        Drain(queue).Should().Equal("a1", "b1", "a2");
    }

    [Fact]
    public void Assign_is_only_a_decision_until_it_is_applied()
    {
        var queue = Launched(("s1", ["t1", "t2"]));
        var before = State(queue);

        queue.Assign(SlotA).Should().Be(new TrialAssigned(new TrialId("t1"), SlotA, 1));
        queue.Assign(SlotB).Should().Be(new TrialAssigned(new TrialId("t1"), SlotB, 1));

        State(queue).Should().Be(before);
        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Pending);
    }

    [Fact]
    public void Nothing_pending_assigns_nothing()
    {
        new WorkQueue().Assign(SlotA).Should().BeNull();
        new WorkQueue().Assign(SlotA, new SweepId("s1")).Should().BeNull();

        var queue = Launched(("s1", ["t1"]));
        Do(queue, queue.Assign(SlotA));
        queue.Assign(SlotB).Should().BeNull();
    }

    [Fact]
    public void Assign_for_one_sweep_takes_the_first_pending_trial_of_that_sweep()
    {
        var queue = Launched(("s1", ["a1", "a2"]), ("s2", ["b1", "b2"]), ("s3", ["c1"]));

        Do(queue, queue.Assign(SlotA, new SweepId("s2"))).Should().Be(new TrialAssigned(new TrialId("b1"), SlotA, 1));
        Do(queue, queue.Assign(SlotB, new SweepId("s2"))).Should().Be(new TrialAssigned(new TrialId("b2"), SlotB, 1));
        queue.Assign(SlotA, new SweepId("s2")).Should().BeNull("s2 has nothing pending although s1 and s3 have");
        queue.Assign(SlotA, new SweepId("unknown")).Should().BeNull();
        queue.Assign(SlotA, new SweepId("s3")).Should().Be(new TrialAssigned(new TrialId("c1"), SlotA, 1));

        Drain(queue).Should().Equal("a1", "a2", "c1");
    }

    [Fact]
    public void A_released_trial_goes_first_in_line_and_its_next_assignment_counts_up()
    {
        var queue = Launched(("s1", ["t1", "t2"]), ("s2", ["t3"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Assign(SlotB));

        var released = Do(queue, queue.Release(new TrialId("t2"), 1, "its slot stopped"));

        released.Should().Be(new TrialReleased(new TrialId("t2"), 1, "its slot stopped"));
        queue.StatusOf(new TrialId("t2")).Should().Be(TrialStatus.Pending);
        queue.AssignmentOf(new TrialId("t2")).Should().BeNull();
        queue.AssignmentsOf(new TrialId("t2")).Should().Be(1);
        queue.PendingCount.Should().Be(2);
        Do(queue, queue.Assign(SlotA)).Should().Be(new TrialAssigned(new TrialId("t2"), SlotA, 2), "t2 was handed back: it goes before t3");
        queue.AssignmentOf(new TrialId("t2")).Should().Be((SlotA, 2));
    }

    [Fact]
    public void The_trial_released_last_goes_first()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3", "t4"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Assign(SlotB));

        Do(queue, queue.Release(new TrialId("t1"), 1, "gone"));
        Do(queue, queue.Release(new TrialId("t2"), 1, "gone"));

        Drain(queue).Should().Equal("t2", "t1", "t3", "t4");
        queue.AssignmentsOf(new TrialId("t1")).Should().Be(2);
        queue.AssignmentsOf(new TrialId("t3")).Should().Be(1);
    }

    [Fact]
    public void An_only_sweep_filter_passes_over_a_released_trial_of_another_sweep()
    {
        var queue = Launched(("s1", ["a1", "a2"]), ("s2", ["b1"]));
        Do(queue, queue.Assign(SlotA, new SweepId("s2")));
        Do(queue, queue.Release(new TrialId("b1"), 1, "gone"));

        queue.Assign(SlotB, new SweepId("s1")).Should().Be(new TrialAssigned(new TrialId("a1"), SlotB, 1));
        queue.Assign(SlotB).Should().Be(new TrialAssigned(new TrialId("b1"), SlotB, 2));
    }

    // ---- stale reports ----

    [Fact]
    public void Release_or_finish_of_a_stale_assignment_is_nothing_to_do()
    {
        var queue = Launched(("s1", ["t1", "t2"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Release(new TrialId("t1"), 1, "gone"));
        Do(queue, queue.Assign(SlotB)).Assignment.Should().Be(2);

        queue.Release(new TrialId("t1"), 1, "late").Should().BeNull("assignment 1 ended already");
        queue.Finish(new TrialId("t1"), 1, TrialEnd.Completed).Should().BeNull();
        queue.Release(new TrialId("t1"), 3, "future").Should().BeNull();
        queue.Finish(new TrialId("t1"), 0, TrialEnd.Failed).Should().BeNull();
        queue.Release(new TrialId("t2"), 1, "never assigned").Should().BeNull("t2 is pending");
        queue.Finish(new TrialId("t2"), 0, TrialEnd.Completed).Should().BeNull();
        queue.Release(new TrialId("nope"), 1, "unknown").Should().BeNull();
        queue.Finish(new TrialId("nope"), 1, TrialEnd.Completed).Should().BeNull();

        queue.Release(new TrialId("t1"), 2, "current").Should().Be(new TrialReleased(new TrialId("t1"), 2, "current"));
        queue.Finish(new TrialId("t1"), 2, TrialEnd.Completed).Should().Be(new TrialFinished(new TrialId("t1"), 2, TrialEnd.Completed));
    }

    [Fact]
    public void A_finished_trial_takes_no_more_reports()
    {
        var queue = Launched(("s1", ["t1"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Finish(new TrialId("t1"), 1, TrialEnd.Completed));

        queue.Finish(new TrialId("t1"), 1, TrialEnd.Completed).Should().BeNull();
        queue.Release(new TrialId("t1"), 1, "late").Should().BeNull();
        queue.Assign(SlotA).Should().BeNull();
    }

    [Fact]
    public void Applying_a_stale_event_changes_nothing()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Release(new TrialId("t1"), 1, "gone"));
        Do(queue, queue.Assign(SlotA)); // t1, assignment 2
        Do(queue, queue.Assign(SlotB)); // t2, assignment 1
        Do(queue, queue.Finish(new TrialId("t2"), 1, TrialEnd.Completed));
        var before = State(queue);

        CoordinatorEvent[] stale =
        [
            new TrialReleased(new TrialId("t1"), 1, "late"),
            new TrialFinished(new TrialId("t1"), 1, TrialEnd.Failed),
            new TrialReleased(new TrialId("t1"), 3, "future"),
            new TrialAssigned(new TrialId("t1"), SlotB, 3), // t1 runs already
            new TrialAssigned(new TrialId("t2"), SlotB, 2), // t2 completed
            new TrialReleased(new TrialId("t2"), 1, "late"),
            new TrialFinished(new TrialId("t2"), 1, TrialEnd.Failed),
            new TrialReleased(new TrialId("t3"), 0, "never assigned"),
            new TrialFinished(new TrialId("t3"), 1, TrialEnd.Completed),
            new TrialAssigned(new TrialId("nope"), SlotA, 1),
            new TrialReleased(new TrialId("nope"), 1, "unknown"),
            new TrialFinished(new TrialId("nope"), 1, TrialEnd.Completed),
            new SweepCancelled(new SweepId("unknown")),
            new SweepResumed(new SweepId("unknown")),
            new SweepResumed(new SweepId("s1")), // not cancelled, and no trial of it is
        ];
        foreach (var e in stale) queue.Apply(e);

        State(queue).Should().Be(before);
        queue.AssignmentOf(new TrialId("t1")).Should().Be((SlotA, 2));
        queue.StatusOf(new TrialId("t2")).Should().Be(TrialStatus.Completed);
        queue.StatusOf(new TrialId("t3")).Should().Be(TrialStatus.Pending);
        queue.StatusOf(new TrialId("nope")).Should().BeNull();
    }

    // ---- finishing ----

    [Theory]
    [InlineData(TrialEnd.Completed, TrialStatus.Completed)]
    [InlineData(TrialEnd.Failed, TrialStatus.Failed)]
    public void A_finished_trial_ends_as_its_slot_reported(TrialEnd end, TrialStatus status)
    {
        var queue = Launched(("s1", ["t1", "t2"]));
        Do(queue, queue.Assign(SlotA));

        Do(queue, queue.Finish(new TrialId("t1"), 1, end)).Should().Be(new TrialFinished(new TrialId("t1"), 1, end));

        queue.StatusOf(new TrialId("t1")).Should().Be(status);
        queue.AssignmentOf(new TrialId("t1")).Should().BeNull();
        queue.AssignmentsOf(new TrialId("t1")).Should().Be(1);
        queue.Running.Should().BeEmpty();
        queue.PendingCount.Should().Be(1);
        queue.HasEnded(new SweepId("s1")).Should().BeFalse();
    }

    // ---- cancel and resume ----

    [Fact]
    public void Cancelling_moves_pending_trials_to_cancelled_and_leaves_running_ones_running_until_they_finish()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3", "t4"]), ("s2", ["u1"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Assign(SlotB));

        Do(queue, queue.Cancel(new SweepId("s1"))).Should().Be(new SweepCancelled(new SweepId("s1")));

        queue.IsCancelled(new SweepId("s1")).Should().BeTrue();
        queue.IsCancelled(new SweepId("s2")).Should().BeFalse();
        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Running);
        queue.StatusOf(new TrialId("t2")).Should().Be(TrialStatus.Running);
        queue.StatusOf(new TrialId("t3")).Should().Be(TrialStatus.Cancelled);
        queue.StatusOf(new TrialId("t4")).Should().Be(TrialStatus.Cancelled);
        queue.StatusOf(new TrialId("u1")).Should().Be(TrialStatus.Pending, "another sweep is not touched");
        queue.PendingCount.Should().Be(1);
        queue.Assign(SlotA, new SweepId("s1")).Should().BeNull();
        queue.HasEnded(new SweepId("s1")).Should().BeFalse("two of its trials still run");
        queue.Cancel(new SweepId("s1")).Should().BeNull("it is cancelled already");
        queue.Cancel(new SweepId("unknown")).Should().BeNull();

        Do(queue, queue.Finish(new TrialId("t1"), 1, TrialEnd.Cancelled));
        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Cancelled);
        queue.HasEnded(new SweepId("s1")).Should().BeFalse();
        Do(queue, queue.Finish(new TrialId("t2"), 1, TrialEnd.Completed));
        queue.StatusOf(new TrialId("t2")).Should().Be(TrialStatus.Completed, "it finished before it could be stopped");
        queue.HasEnded(new SweepId("s1")).Should().BeTrue();
        queue.Counts(new SweepId("s1")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int>
        {
            [TrialStatus.Cancelled] = 3,
            [TrialStatus.Completed] = 1,
        });
        Drain(queue).Should().Equal("u1");
    }

    [Fact]
    public void A_running_trial_of_a_cancelled_sweep_that_is_released_becomes_cancelled_not_pending()
    {
        var queue = Launched(("s1", ["t1", "t2"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Cancel(new SweepId("s1")));

        Do(queue, queue.Release(new TrialId("t1"), 1, "its node left"));

        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Cancelled);
        queue.AssignmentOf(new TrialId("t1")).Should().BeNull();
        queue.PendingCount.Should().Be(0);
        queue.Assign(SlotA).Should().BeNull();
        queue.HasEnded(new SweepId("s1")).Should().BeTrue();
        queue.Counts(new SweepId("s1")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int> { [TrialStatus.Cancelled] = 2 });
    }

    [Fact]
    public void Trials_added_to_a_cancelled_sweep_are_cancelled_until_it_resumes()
    {
        var queue = Launched(("s1", ["t1"]));
        Do(queue, queue.Cancel(new SweepId("s1")));

        Do(queue, queue.Launch(new SweepId("s1"), "grid", [new TrialId("t1"), new TrialId("t2")])).TrialIds.Should().Equal(new TrialId("t2"));

        queue.StatusOf(new TrialId("t2")).Should().Be(TrialStatus.Cancelled);
        queue.PendingCount.Should().Be(0);
        queue.Assign(SlotA).Should().BeNull();

        Do(queue, queue.Resume(new SweepId("s1")));
        Drain(queue).Should().Equal("t1", "t2");
    }

    [Fact]
    public void Resuming_queues_the_cancelled_trials_again_and_leaves_completed_failed_and_running_ones()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3", "t4", "t5", "t6"]), ("s2", ["u1"]));
        Do(queue, queue.Assign(SlotA)); // t1
        Do(queue, queue.Assign(SlotA)); // t2
        Do(queue, queue.Assign(SlotA)); // t3
        Do(queue, queue.Assign(SlotB)); // t4
        Do(queue, queue.Finish(new TrialId("t1"), 1, TrialEnd.Completed));
        Do(queue, queue.Finish(new TrialId("t2"), 1, TrialEnd.Failed));
        Do(queue, queue.Cancel(new SweepId("s1")));
        Do(queue, queue.Finish(new TrialId("t3"), 1, TrialEnd.Cancelled));
        queue.Resume(new SweepId("s2")).Should().BeNull("s2 is not cancelled");
        queue.Resume(new SweepId("unknown")).Should().BeNull();

        Do(queue, queue.Resume(new SweepId("s1"))).Should().Be(new SweepResumed(new SweepId("s1")));

        queue.IsCancelled(new SweepId("s1")).Should().BeFalse();
        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Completed);
        queue.StatusOf(new TrialId("t2")).Should().Be(TrialStatus.Failed);
        queue.StatusOf(new TrialId("t3")).Should().Be(TrialStatus.Pending);
        queue.StatusOf(new TrialId("t4")).Should().Be(TrialStatus.Running, "it ran through the cancellation");
        queue.AssignmentOf(new TrialId("t4")).Should().Be((SlotB, 1));
        queue.StatusOf(new TrialId("t5")).Should().Be(TrialStatus.Pending);
        queue.StatusOf(new TrialId("t6")).Should().Be(TrialStatus.Pending);
        queue.PendingCount.Should().Be(4);
        queue.Resume(new SweepId("s1")).Should().BeNull("it runs already");
        queue.HasEnded(new SweepId("s1")).Should().BeFalse();

        // Resumed trials join the back of the queue, in launch order; t3 ran once before.
        Do(queue, queue.Assign(SlotA)).Should().Be(new TrialAssigned(new TrialId("u1"), SlotA, 1));
        Do(queue, queue.Assign(SlotA)).Should().Be(new TrialAssigned(new TrialId("t3"), SlotA, 2));
        Drain(queue).Should().Equal("t5", "t6");
        queue.Release(new TrialId("t4"), 1, "still current").Should().NotBeNull();
    }

    [Fact]
    public void A_trial_stopped_for_a_cancellation_that_was_withdrawn_is_queued_again_first_in_line()
    {
        // Cancel tells t1's slot to stop; the sweep is resumed before the slot reports the trial cancelled.
        var queue = Launched(("s1", ["t1", "t2"]), ("s2", ["u1"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Cancel(new SweepId("s1")));
        Do(queue, queue.Resume(new SweepId("s1")));

        Do(queue, queue.Finish(new TrialId("t1"), 1, TrialEnd.Cancelled));

        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Pending);
        queue.AssignmentOf(new TrialId("t1")).Should().BeNull();
        queue.HasEnded(new SweepId("s1")).Should().BeFalse();
        queue.Resume(new SweepId("s1")).Should().BeNull();
        Do(queue, queue.Assign(SlotB)).Should().Be(new TrialAssigned(new TrialId("t1"), SlotB, 2));
        Drain(queue).Should().Equal("u1", "t2");
    }

    [Fact]
    public void A_released_trial_of_a_resumed_sweep_is_pending_again()
    {
        var queue = Launched(("s1", ["t1", "t2"]));
        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Cancel(new SweepId("s1")));
        Do(queue, queue.Resume(new SweepId("s1")));

        Do(queue, queue.Release(new TrialId("t1"), 1, "gone"));

        queue.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Pending);
        Drain(queue).Should().Equal("t1", "t2");
    }

    // ---- reading ----

    [Fact]
    public void Counts_and_HasEnded_follow_the_trials()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3", "t4"]));
        queue.Counts(new SweepId("s1")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int> { [TrialStatus.Pending] = 4 });
        queue.Counts(new SweepId("unknown")).Should().BeEmpty();
        queue.HasEnded(new SweepId("unknown")).Should().BeFalse();

        Do(queue, queue.Assign(SlotA));
        Do(queue, queue.Assign(SlotB));
        Do(queue, queue.Assign(SlotB));
        Do(queue, queue.Finish(new TrialId("t2"), 1, TrialEnd.Failed));
        queue.Counts(new SweepId("s1")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int>
        {
            [TrialStatus.Running] = 2,
            [TrialStatus.Failed] = 1,
            [TrialStatus.Pending] = 1,
        });
        queue.HasEnded(new SweepId("s1")).Should().BeFalse();

        Do(queue, queue.Finish(new TrialId("t1"), 1, TrialEnd.Completed));
        Do(queue, queue.Finish(new TrialId("t3"), 1, TrialEnd.Completed));
        queue.HasEnded(new SweepId("s1")).Should().BeFalse("t4 is pending");
        Do(queue, queue.Assign(SlotA));
        queue.HasEnded(new SweepId("s1")).Should().BeFalse("t4 runs");
        Do(queue, queue.Finish(new TrialId("t4"), 1, TrialEnd.Completed));

        queue.HasEnded(new SweepId("s1")).Should().BeTrue();
        queue.Counts(new SweepId("s1")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int>
        {
            [TrialStatus.Completed] = 3,
            [TrialStatus.Failed] = 1,
        });
    }

    [Fact]
    public void Running_lists_each_running_trial_with_its_slot_and_assignment()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3"]), ("s2", ["u1"]));
        queue.Running.Should().BeEmpty();
        Do(queue, queue.Assign(SlotA)); // t1 #1
        Do(queue, queue.Release(new TrialId("t1"), 1, "gone"));
        Do(queue, queue.Assign(SlotB)); // t1 #2
        Do(queue, queue.Assign(SlotA)); // t2 #1
        Do(queue, queue.Assign(SlotA, new SweepId("s2"))); // u1 #1
        Do(queue, queue.Finish(new TrialId("t2"), 1, TrialEnd.Completed));

        queue.Running.Should().BeEquivalentTo(new[] { (new TrialId("t1"), SlotB, 2), (new TrialId("u1"), SlotA, 1) });
        queue.AssignmentOf(new TrialId("t1")).Should().Be((SlotB, 2));
        queue.AssignmentOf(new TrialId("t2")).Should().BeNull();
        queue.AssignmentOf(new TrialId("t3")).Should().BeNull();
        queue.AssignmentOf(new TrialId("nope")).Should().BeNull();
        queue.AssignmentsOf(new TrialId("nope")).Should().Be(0);
    }

    // ---- snapshots ----

    [Fact]
    public void A_snapshot_restores_the_same_queue()
    {
        var queue = Launched(("s1", ["t1", "t2", "t3"]), ("s2", ["u1", "u2"]), ("s3", ["v1", "v2"]));
        Do(queue, queue.Assign(SlotA)); // t1
        Do(queue, queue.Assign(SlotB)); // t2
        Do(queue, queue.Release(new TrialId("t2"), 1, "gone")); // t2 first in line
        Do(queue, queue.Assign(SlotB, new SweepId("s2"))); // u1
        Do(queue, queue.Finish(new TrialId("u1"), 1, TrialEnd.Failed));
        Do(queue, queue.Assign(SlotB, new SweepId("s3"))); // v1
        Do(queue, queue.Cancel(new SweepId("s3")));
        Do(queue, queue.Launch(new SweepId("s1"), "grid", [new TrialId("t4")]));

        var restored = WorkQueue.From(queue.Snapshot());

        restored.Snapshot().Should().BeEquivalentTo(queue.Snapshot(), o => o.WithStrictOrdering());
        restored.SweepIds.Should().Equal(new SweepId("s1"), new SweepId("s2"), new SweepId("s3"));
        restored.PendingCount.Should().Be(queue.PendingCount);
        restored.IsCancelled(new SweepId("s3")).Should().BeTrue();
        restored.Running.Should().BeEquivalentTo(queue.Running);
        foreach (var sweep in queue.SweepIds)
        {
            restored.Counts(sweep).Should().BeEquivalentTo(queue.Counts(sweep));
            restored.HasEnded(sweep).Should().Be(queue.HasEnded(sweep));
        }
        restored.Release(new TrialId("t1"), 1, "x").Should().Be(queue.Release(new TrialId("t1"), 1, "x"));
        restored.Finish(new TrialId("v1"), 1, TrialEnd.Completed).Should().Be(queue.Finish(new TrialId("v1"), 1, TrialEnd.Completed));
        restored.Resume(new SweepId("s3")).Should().Be(queue.Resume(new SweepId("s3")));
        Drain(restored).Should().Equal(Drain(queue)).And.Equal("t2", "t3", "u2", "t4");
        restored.AssignmentOf(new TrialId("t2")).Should().Be((SlotA, 2));
    }

    [Fact]
    public void An_empty_queue_round_trips_through_a_snapshot()
    {
        var restored = WorkQueue.From(new WorkQueue().Snapshot());

        restored.SweepIds.Should().BeEmpty();
        restored.PendingCount.Should().Be(0);
        restored.Assign(SlotA).Should().BeNull();
    }

    [Fact]
    public void From_requires_a_snapshot()
    {
        var act = () => WorkQueue.From(null!);
        act.Should().Throw<ArgumentNullException>();
    }

    // ---- property: live, replayed from the journal, restored from snapshots ----

    private static readonly string[] Sweeps = ["s0", "s1", "s2", "s3", "s4"];
    private static readonly string[] Slots = [.. Enumerable.Range(0, 6).Select(i => $"akka.tcp://orchestrator@10.0.0.{i}:4053/user/slots/slot-{i % 2}")];
    private static readonly string[] TrialPool = [.. Enumerable.Range(0, 300).Select(i => $"t{i:D3}")];

    private abstract record Op;
    private sealed record LaunchOp(string Sweep, string[] Trials) : Op;
    private sealed record CancelOp(string Sweep) : Op;
    private sealed record ResumeOp(string Sweep) : Op;
    private sealed record AssignOp(string Slot, string? OnlySweep) : Op;
    private sealed record ReleaseOp(string Trial, int Assignment) : Op;
    private sealed record FinishOp(string Trial, int Assignment, TrialEnd End) : Op;

    private static Op RandomOp(Random rng, WorkQueue live)
    {
        var roll = rng.Next(100);
        if (roll < 8)
        {
            var sweep = Sweeps[rng.Next(Sweeps.Length)];
            var ids = Enumerable.Range(0, rng.Next(0, 9)).Select(_ => TrialPool[rng.Next(TrialPool.Length)]);
            // Now and then a relaunch of what a sweep has, extended or not, or of another sweep's trials.
            if (rng.Next(4) == 0) ids = live.TrialsOf(new SweepId(Sweeps[rng.Next(Sweeps.Length)])).Select(id => id.Value).Concat(ids.Take(rng.Next(2)));
            return new LaunchOp(sweep, [.. ids]);
        }
        if (roll < 12) return new CancelOp(Sweeps[rng.Next(Sweeps.Length)]);
        if (roll < 16) return new ResumeOp(Sweeps[rng.Next(Sweeps.Length)]);
        if (roll < 56) return new AssignOp(Slots[rng.Next(Slots.Length)], rng.Next(4) == 0 ? Sweeps[rng.Next(Sweeps.Length)] : null);

        var running = live.Running.OrderBy(r => r.TrialId.Value, StringComparer.Ordinal).ToList();
        string trial;
        int assignment;
        if (running.Count > 0 && rng.Next(8) != 0)
        {
            (var id, _, assignment) = running[rng.Next(running.Count)];
            trial = id.Value;
            if (rng.Next(5) == 0) assignment += rng.Next(2) == 0 ? -1 : 1; // a report about another assignment
        }
        else
        {
            trial = TrialPool[rng.Next(TrialPool.Length)];
            assignment = live.AssignmentsOf(new TrialId(trial)) + rng.Next(-1, 2);
        }
        return roll < 76
            ? new ReleaseOp(trial, assignment)
            : new FinishOp(trial, assignment, (TrialEnd)rng.Next(3));
    }

    private static CoordinatorEvent? Decide(WorkQueue queue, Op op) => op switch
    {
        LaunchOp l => queue.Launch(new SweepId(l.Sweep), l.Sweep + "-name", Trials(l.Trials)),
        CancelOp c => queue.Cancel(new SweepId(c.Sweep)),
        ResumeOp r => queue.Resume(new SweepId(r.Sweep)),
        AssignOp a => queue.Assign(a.Slot, Only(a.OnlySweep)),
        ReleaseOp r => queue.Release(new TrialId(r.Trial), r.Assignment, "random"),
        FinishOp f => queue.Finish(new TrialId(f.Trial), f.Assignment, f.End),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>Everything the coordinator can read or decide from a queue, as text (assignment and release orders,
    /// counts, and the decisions for each sweep, slot and running trial).</summary>
    private static List<string> Fingerprint(WorkQueue queue)
    {
        var lines = new List<string> { State(queue), $"pending {queue.PendingCount}", "sweeps " + string.Join(",", queue.SweepIds) };
        foreach (var sweep in Sweeps)
        {
            var counts = string.Join(",", queue.Counts(new SweepId(sweep)).OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));
            lines.Add($"{sweep} knows={queue.Knows(new SweepId(sweep))} cancelled={queue.IsCancelled(new SweepId(sweep))} ended={queue.HasEnded(new SweepId(sweep))} " +
                      $"counts={counts} trials={string.Join(",", queue.TrialsOf(new SweepId(sweep)))} cancel={queue.Cancel(new SweepId(sweep))} " +
                      $"resume={queue.Resume(new SweepId(sweep))} relaunch={Describe(queue.Launch(new SweepId(sweep), "x", [.. queue.TrialsOf(new SweepId(sweep)), .. Trials(["t000", "t150", "t299"])]))}");
        }
        foreach (var slot in Slots.Take(2))
        foreach (var only in Sweeps.Prepend(null))
            lines.Add($"assign {slot} {only} {queue.Assign(slot, Only(only))}");
        foreach (var (trial, slot, assignment) in queue.Running.OrderBy(r => r.TrialId.Value, StringComparer.Ordinal))
        {
            lines.Add($"running {trial} {slot} {assignment} {queue.AssignmentOf(trial)} {queue.SweepOf(trial)}");
            lines.Add($"  {queue.Release(trial, assignment, "r")} {queue.Release(trial, assignment - 1, "r")} " +
                      $"{queue.Finish(trial, assignment, TrialEnd.Failed)} {queue.Finish(trial, assignment + 1, TrialEnd.Completed)}");
        }
        foreach (var trial in TrialPool)
            lines.Add($"{trial} {queue.StatusOf(new TrialId(trial))} {queue.AssignmentsOf(new TrialId(trial))} {queue.AssignmentOf(new TrialId(trial))}");
        return lines;
    }

    private static string Describe(SweepLaunched? e) => e is null ? "null" : $"{e.SweepId}:{string.Join(",", e.TrialIds)}";

    private static void CheckInvariants(WorkQueue queue)
    {
        var all = queue.SweepIds.SelectMany(queue.TrialsOf).ToList();
        all.Should().OnlyHaveUniqueItems("a trial belongs to one sweep");
        all.Count(t => queue.StatusOf(t) == TrialStatus.Pending).Should().Be(queue.PendingCount);
        foreach (var sweep in queue.SweepIds.Where(queue.IsCancelled))
            queue.TrialsOf(sweep).Should().NotContain(t => queue.StatusOf(t) == TrialStatus.Pending, "a cancelled sweep queues nothing");
        foreach (var t in all)
        {
            queue.SweepIds.Should().Contain(queue.SweepOf(t));
            (queue.StatusOf(t) == TrialStatus.Running).Should().Be(queue.AssignmentOf(t) is not null);
            if (queue.StatusOf(t) is TrialStatus.Running or TrialStatus.Completed or TrialStatus.Failed)
                queue.AssignmentsOf(t).Should().BeGreaterThan(0, "{0} ran", t);
            if (queue.StatusOf(t) == TrialStatus.Cancelled)
                queue.IsCancelled(queue.SweepOf(t)).Should().BeTrue("{0} is cancelled, so its sweep must be: a resumed sweep has no cancelled trial", t);
        }
        foreach (var (trial, slot, assignment) in queue.Running)
        {
            assignment.Should().BeGreaterThan(0);
            queue.AssignmentOf(trial).Should().Be((slot, assignment));
        }
    }

    private static WorkQueue Replay(IEnumerable<CoordinatorEvent> events, WorkQueue? start = null)
    {
        var queue = start ?? new WorkQueue();
        foreach (var e in events) queue.Apply(e);
        return queue;
    }

    private static WorkQueue ThroughJson(WorkQueueSnapshot snapshot) => WorkQueue.From((WorkQueueSnapshot)CoordinatorEventCatalog.Deserialize(
        CoordinatorEventCatalog.StoredName(snapshot), CoordinatorEventCatalog.Serialize(snapshot)));

    private static CoordinatorEvent EventThroughJson(CoordinatorEvent e) =>
        (CoordinatorEvent)CoordinatorEventCatalog.Deserialize(CoordinatorEventCatalog.StoredName(e), CoordinatorEventCatalog.Serialize(e));

    public static TheoryData<int> Seeds => new(Enumerable.Range(1, 12));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void After_random_operations_the_replayed_and_the_restored_queues_decide_like_the_live_one(int seed)
    {
        var rng = new Random(seed);
        var live = new WorkQueue();
        var journal = new List<CoordinatorEvent>();
        WorkQueueSnapshot snapshot = live.Snapshot();
        var snapshotAt = 0;
        var journaled = new Dictionary<Type, int>();
        var nothingToDo = 0;
        var staleApplied = 0;

        void Compare()
        {
            CheckInvariants(live);
            var expected = Fingerprint(live);
            Fingerprint(Replay(journal)).Should().Equal(expected, "the journal replayed from the start gives the live queue");
            Fingerprint(Replay(journal.Skip(snapshotAt), WorkQueue.From(snapshot))).Should().Equal(expected,
                "a recovery from the last snapshot and the events after it gives the live queue");
            Fingerprint(Replay(journal.Skip(snapshotAt).Select(EventThroughJson), ThroughJson(snapshot))).Should().Equal(expected,
                "so does one that read both from JSON");
            Fingerprint(WorkQueue.From(live.Snapshot())).Should().Equal(expected, "a snapshot now restores the live queue");
        }

        for (var i = 0; i < 2000; i++)
        {
            var op = RandomOp(rng, live);
            var e = Decide(live, op);
            if (e is null)
            {
                nothingToDo++;
                // An event the coordinator would not journal, as a journal written by an older coordinator may hold:
                // applying it must change nothing, here and in every replay.
                CoordinatorEvent? stale = op switch
                {
                    ReleaseOp r => new TrialReleased(new TrialId(r.Trial), r.Assignment, "stale"),
                    FinishOp f => new TrialFinished(new TrialId(f.Trial), f.Assignment, f.End),
                    CancelOp c when !live.Knows(new SweepId(c.Sweep)) => new SweepCancelled(new SweepId(c.Sweep)),
                    ResumeOp r => new SweepResumed(new SweepId(r.Sweep)),
                    _ => null,
                };
                if (stale is not null)
                {
                    var before = State(live);
                    live.Apply(stale);
                    State(live).Should().Be(before, $"{stale} is stale");
                    journal.Add(stale);
                    staleApplied++;
                }
            }
            else
            {
                live.Apply(e);
                journal.Add(e);
                journaled[e.GetType()] = journaled.GetValueOrDefault(e.GetType()) + 1;
            }
            if (rng.Next(40) == 0)
            {
                snapshot = live.Snapshot();
                snapshotAt = journal.Count;
            }
            if (i % 250 == 249) Compare();
        }

        journaled.Keys.Should().BeEquivalentTo(
            [typeof(SweepLaunched), typeof(SweepCancelled), typeof(SweepResumed), typeof(TrialAssigned), typeof(TrialReleased), typeof(TrialFinished)],
            "the random operations reach every event");
        journaled[typeof(TrialAssigned)].Should().BeGreaterThan(200);
        nothingToDo.Should().BeGreaterThan(50);
        staleApplied.Should().BeGreaterThan(20);
        live.SweepIds.Sum(s => live.TrialsOf(s).Count).Should().BeGreaterThan(100);

        // From here on the three queues decide for themselves, on the same operations: their decisions must agree.
        var replayed = Replay(journal);
        var restored = WorkQueue.From(live.Snapshot());
        var recovered = Replay(journal.Skip(snapshotAt), ThroughJson(snapshot));
        for (var i = 0; i < 500; i++)
        {
            var op = RandomOp(rng, live);
            var e = Decide(live, op);
            foreach (var other in new[] { replayed, restored, recovered })
            {
                var mine = Decide(other, op);
                if (e is null) mine.Should().BeNull($"{op} is nothing to do for the live queue");
                else mine.Should().BeEquivalentTo(e, o => o.RespectingRuntimeTypes().WithStrictOrdering(), $"{op}");
                if (mine is not null) other.Apply(mine);
            }
            if (e is not null) live.Apply(e);
        }
        var end = Fingerprint(live);
        Fingerprint(replayed).Should().Equal(end);
        Fingerprint(restored).Should().Equal(end);
        Fingerprint(recovered).Should().Equal(end);

        // Handing out everything left gives the same order everywhere.
        var slot = Slots[0];
        var order = Drain(live, slot);
        Drain(replayed, slot).Should().Equal(order);
        Drain(restored, slot).Should().Equal(order);
        Drain(recovered, slot).Should().Equal(order);
    }

    // ---- retirement: ended sweeps leave the state ----

    /// <summary>Runs every pending trial of <paramref name="sweep"/> to <paramref name="end"/>.</summary>
    private static void RunToEnd(WorkQueue queue, string sweep, TrialEnd end = TrialEnd.Completed)
    {
        while (queue.Assign(SlotA, new SweepId(sweep)) is { } assigned)
        {
            queue.Apply(assigned);
            Do(queue, queue.Finish(assigned.TrialId, assigned.Assignment, end));
        }
    }

    [Fact]
    public void The_snapshot_does_not_grow_with_the_sweeps_that_ended()
    {
        var queue = Launched(("live", ["t-live-1", "t-live-2"]));
        var size = System.Text.Encoding.UTF8.GetByteCount(System.Text.Json.JsonSerializer.Serialize(queue.Snapshot()));
        for (var n = 0; n < 200; n++)
        {
            var sweep = $"s-{n}";
            Do(queue, queue.Launch(new SweepId(sweep), sweep, Trials(Enumerable.Range(0, 20).Select(i => $"t-{n}-{i}"))));
            RunToEnd(queue, sweep, n % 3 == 0 ? TrialEnd.Failed : TrialEnd.Completed);
            queue.Retire(new SweepId("live")).Should().BeNull("a sweep with pending trials stays");
            Do(queue, queue.Retire(new SweepId(sweep)));
        }

        queue.SweepIds.Should().Equal(new SweepId("live"));
        System.Text.Encoding.UTF8.GetByteCount(System.Text.Json.JsonSerializer.Serialize(queue.Snapshot())).Should().Be(size);
        WorkQueue.From(queue.Snapshot()).SweepIds.Should().Equal(new SweepId("live"));
    }

    [Fact]
    public void A_revived_sweep_answers_as_if_it_had_never_left()
    {
        var queue = Launched(("s", ["t1", "t2", "t3"]));
        Do(queue, queue.Cancel(new SweepId("s")));
        var before = (queue.Counts(new SweepId("s")), queue.IsCancelled(new SweepId("s")), queue.TrialsOf(new SweepId("s")).Count);
        Do(queue, queue.Retire(new SweepId("s")));
        queue.Knows(new SweepId("s")).Should().BeFalse();

        Do(queue, queue.Revive(new SweepId("s"), "s-name", cancelled: true, [(new TrialId("t1"), TrialStatus.Cancelled), (new TrialId("t2"), TrialStatus.Cancelled), (new TrialId("t3"), TrialStatus.Cancelled)]));
        (queue.Counts(new SweepId("s")), queue.IsCancelled(new SweepId("s")), queue.TrialsOf(new SweepId("s")).Count).Should().BeEquivalentTo(before);
        queue.Launch(new SweepId("s"), "s-name", [new TrialId("t1"), new TrialId("t2"), new TrialId("t3")]).Should().BeNull("launching the same spec again adds nothing");
        queue.Revive(new SweepId("s"), "s-name", true, [(new TrialId("t1"), TrialStatus.Cancelled)]).Should().BeNull("the queue knows it again");

        Do(queue, queue.Resume(new SweepId("s")));
        Drain(queue).Should().BeEquivalentTo(["t1", "t2", "t3"]);
    }

    [Fact]
    public void Retiring_waits_for_the_last_trial_and_reviving_takes_only_ended_trials_the_queue_lacks()
    {
        var queue = Launched(("a", ["t1", "t2"]), ("b", ["t3"]));
        var t1 = Do(queue, queue.Assign(SlotA, new SweepId("a")));
        queue.Retire(new SweepId("a")).Should().BeNull();
        Do(queue, queue.Finish(t1.TrialId, t1.Assignment, TrialEnd.Completed));
        RunToEnd(queue, "a");
        Do(queue, queue.Retire(new SweepId("a")));

        queue.Revive(new SweepId("a"), "a", false, [(new TrialId("t1"), TrialStatus.Pending), (new TrialId("t3"), TrialStatus.Completed)])
            .Should().BeNull("a pending row is a new trial for the launch to add, and t3 is b's");
        var revived = Do(queue, queue.Revive(new SweepId("a"), "a", false, [(new TrialId("t1"), TrialStatus.Completed), (new TrialId("t2"), TrialStatus.Failed)]));
        revived.Trials.Should().HaveCount(2);
        queue.HasEnded(new SweepId("a")).Should().BeTrue();
        queue.Counts(new SweepId("a")).Should().BeEquivalentTo(new Dictionary<TrialStatus, int> { [TrialStatus.Completed] = 1, [TrialStatus.Failed] = 1 });
    }
}
