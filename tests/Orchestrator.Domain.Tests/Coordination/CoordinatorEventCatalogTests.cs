using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Coordination;

public class CoordinatorEventCatalogTests
{
    private const string Slot = "akka.tcp://orchestrator@10.0.0.7:4053/user/slots/slot-1";

    public static readonly object[] Samples =
    [
        new SweepLaunched(new SweepId("sweep-1"), "mobilenet grid", [new TrialId("t-0001"), new TrialId("t-0002"), new TrialId("t-0003")]),
        new SweepLaunched(new SweepId("sweep-2"), "nothing new", []),
        new SweepCancelled(new SweepId("sweep-1")),
        new SweepResumed(new SweepId("sweep-1")),
        new TrialAssigned(new TrialId("t-0001"), Slot, 3),
        new TrialReleased(new TrialId("t-0001"), 3, "its slot stopped or its node left the cluster"),
        new TrialFinished(new TrialId("t-0001"), 4, TrialEnd.Completed),
        new TrialFinished(new TrialId("t-0002"), 1, TrialEnd.Failed),
        new TrialFinished(new TrialId("t-0003"), 2, TrialEnd.Cancelled),
        new TrialFinished(new TrialId("t-0004"), 2, TrialEnd.Completed, 0.125),
        new TrialFinished(new TrialId("t-0005"), 1, TrialEnd.Pruned, double.PositiveInfinity),
        new SweepLaunched(new SweepId("sweep-3"), "halving", [new TrialId("t-0006"), new TrialId("t-0007")],
            new SweepPlan([new CellPlan("resnet18/dynamic", [new TrialId("t-0006"), new TrialId("t-0007")], [1, 3])], 3, [4, 5])),
        new TrialReachedRung(new TrialId("t-0006"), 2, 1, 3, 0.5),
        new TrialPromoted(new TrialId("t-0006"), 2),
        new TrialPruned(new TrialId("t-0007"), 0, 0.75, 3),
        new ReplicatesLaunched(new SweepId("sweep-3"), 0, new TrialId("t-0006"), [new TrialId("t-0008"), new TrialId("t-0009")]),
        new ReplicatesLaunched(new SweepId("sweep-3"), 1, null, []),
        new SweepRetired(new SweepId("sweep-1")),
        new SweepRevived(new SweepId("sweep-1"), "mobilenet grid", true,
            [new TrialSnapshot(new TrialId("t-0001"), TrialStatus.Completed, null, 0), new TrialSnapshot(new TrialId("t-0002"), TrialStatus.Cancelled, null, 0)]),
        new WorkQueueSnapshot(
            [
                new SweepSnapshot(new SweepId("sweep-1"), "mobilenet grid", false,
                [
                    new TrialSnapshot(new TrialId("t-0001"), TrialStatus.Running, Slot, 2),
                    new TrialSnapshot(new TrialId("t-0002"), TrialStatus.Pending, null, 1),
                    new TrialSnapshot(new TrialId("t-0003"), TrialStatus.Completed, null, 1),
                    new TrialSnapshot(new TrialId("t-0004"), TrialStatus.Failed, null, 3),
                ]),
                new SweepSnapshot(new SweepId("sweep-2"), "cancelled", true, [new TrialSnapshot(new TrialId("t-0005"), TrialStatus.Cancelled, null, 0)]),
                new SweepSnapshot(new SweepId("sweep-3"), "empty", false, []),
                new SweepSnapshot(new SweepId("sweep-4"), "halving", false,
                [
                    new TrialSnapshot(new TrialId("t-0006"), TrialStatus.Pending, null, 2, new LadderPlace(0, 1, [0.5], false, null)),
                    new TrialSnapshot(new TrialId("t-0007"), TrialStatus.Pruned, null, 2, new LadderPlace(0, 0, [0.75], true, null, 3)),
                    new TrialSnapshot(new TrialId("t-0008"), TrialStatus.Failed, null, 1, new LadderPlace(0, 0, [double.PositiveInfinity], false, double.PositiveInfinity)),
                ],
                new SweepPlan([new CellPlan("resnet18/dynamic", [new TrialId("t-0006"), new TrialId("t-0007"), new TrialId("t-0008")], [1])], 3, [9]), [0]),
            ],
            [new TrialId("t-0002")]),
        new WorkQueueSnapshot([], []),
    ];

    public static TheoryData<object> Each => new(Samples);

    private static readonly string[] StoredNames =
    [
        "SweepLaunched.v1", "SweepCancelled.v1", "SweepResumed.v1", "TrialAssigned.v1", "TrialReleased.v1", "TrialFinished.v1",
        "SweepRetired.v1", "SweepRevived.v1", "WorkQueueSnapshot.v1", "TrialReachedRung.v1", "TrialPromoted.v1", "TrialPruned.v1",
        "ReplicatesLaunched.v1",
    ];

    private static string Json(object value) => Encoding.UTF8.GetString(CoordinatorEventCatalog.Serialize(value));

    private static object Read(string name, string payload) => CoordinatorEventCatalog.Deserialize(name, Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void Samples_cover_every_event_type_and_the_snapshot()
    {
        var eventTypes = typeof(CoordinatorEvent).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(CoordinatorEvent)) && !t.IsAbstract)
            .Append(typeof(WorkQueueSnapshot));

        Samples.Select(s => s.GetType()).Distinct().Should().BeEquivalentTo(eventTypes);
        Samples.Select(CoordinatorEventCatalog.StoredName).Distinct().Should().BeEquivalentTo(StoredNames);
    }

    [Theory]
    [MemberData(nameof(Each))]
    public void Every_event_and_the_snapshot_round_trip_under_a_versioned_name(object value)
    {
        var name = CoordinatorEventCatalog.StoredName(value);

        CoordinatorEventCatalog.Handles(value).Should().BeTrue();
        name.Should().Be(value.GetType().Name + ".v1").And.EndWith(".v1");
        var back = CoordinatorEventCatalog.Deserialize(name, CoordinatorEventCatalog.Serialize(value));
        back.Should().BeOfType(value.GetType());
        back.Should().BeEquivalentTo(value, o => o.RespectingRuntimeTypes().WithStrictOrdering());
        Json(back).Should().Be(Json(value), "written again, it reads the same");
    }

    [Theory]
    [MemberData(nameof(Each))]
    public void Payloads_are_plain_camel_case_json_without_dotnet_type_names(object value)
    {
        var json = Json(value);

        var node = JsonNode.Parse(json);
        node.Should().BeOfType<JsonObject>();
        json.Should().NotContain("$type").And.NotContain("Orchestrator").And.NotContain("System.")
            .And.NotContain(value.GetType().Name, "the type is in the stored name, not in the payload");
        foreach (var key in Keys(node!)) char.IsLower(key[0]).Should().BeTrue($"'{key}' is camel case");
    }

    private static IEnumerable<string> Keys(JsonNode node) => node switch
    {
        JsonObject o => o.SelectMany(kv => kv.Value is null ? new[] { kv.Key } : Keys(kv.Value).Prepend(kv.Key)),
        JsonArray a => a.Where(n => n is not null).SelectMany(n => Keys(n!)),
        _ => [],
    };

    [Fact]
    public void The_payloads_are_exactly_these()
    {
        Json(new SweepLaunched(new SweepId("s1"), "grid", [new TrialId("t1"), new TrialId("t2")])).Should().Be("""{"sweepId":"s1","name":"grid","trialIds":["t1","t2"]}""");
        Json(new SweepCancelled(new SweepId("s1"))).Should().Be("""{"sweepId":"s1"}""");
        Json(new SweepResumed(new SweepId("s1"))).Should().Be("""{"sweepId":"s1"}""");
        Json(new TrialAssigned(new TrialId("t1"), "slot-a", 2)).Should().Be("""{"trialId":"t1","slot":"slot-a","assignment":2}""");
        Json(new TrialReleased(new TrialId("t1"), 2, "gone")).Should().Be("""{"trialId":"t1","assignment":2,"reason":"gone"}""");
        Json(new TrialFinished(new TrialId("t1"), 2, TrialEnd.Completed)).Should().Be("""{"trialId":"t1","assignment":2,"end":"completed"}""");
        Json(new TrialFinished(new TrialId("t1"), 2, TrialEnd.Cancelled)).Should().Be("""{"trialId":"t1","assignment":2,"end":"cancelled"}""");
        Json(new WorkQueueSnapshot([new SweepSnapshot(new SweepId("s1"), "grid", true, [new TrialSnapshot(new TrialId("t1"), TrialStatus.Running, "slot-a", 1)])], [new TrialId("t2")]))
            .Should().Be("""{"sweeps":[{"id":"s1","name":"grid","cancelled":true,"trials":[{"id":"t1","status":"running","slot":"slot-a","assignments":1}]}],"pending":["t2"]}""");
    }

    [Theory]
    [InlineData(TrialEnd.Completed, "completed")]
    [InlineData(TrialEnd.Failed, "failed")]
    [InlineData(TrialEnd.Cancelled, "cancelled")]
    [InlineData(TrialEnd.Diverged, "diverged")]
    public void An_end_is_stored_under_this_name(TrialEnd end, string stored)
    {
        var json = $$"""{"trialId":"t1","assignment":1,"end":"{{stored}}"}""";

        Json(new TrialFinished(new TrialId("t1"), 1, end)).Should().Be(json);
        Read("TrialFinished.v1", json).Should().Be(new TrialFinished(new TrialId("t1"), 1, end));
    }

    [Theory]
    [InlineData(TrialStatus.Pending, "pending")]
    [InlineData(TrialStatus.Running, "running")]
    [InlineData(TrialStatus.Completed, "completed")]
    [InlineData(TrialStatus.Failed, "failed")]
    [InlineData(TrialStatus.Cancelled, "cancelled")]
    [InlineData(TrialStatus.Diverged, "diverged")]
    public void A_status_is_stored_under_this_name(TrialStatus status, string stored)
    {
        var json = $$"""{"sweepId":"s1","name":"g","cancelled":false,"trials":[{"id":"t1","status":"{{stored}}","slot":null,"assignments":0}]}""";

        Json(new SweepRevived(new SweepId("s1"), "g", false, [new TrialSnapshot(new TrialId("t1"), status, null, 0)])).Should().Be(json);
        ((SweepRevived)Read("SweepRevived.v1", json)).Trials.Should().Equal(new TrialSnapshot(new TrialId("t1"), status, null, 0));
    }

    [Fact]
    public void Stored_payloads_read_back_as_written()
    {
        Read("TrialFinished.v1", """{"trialId":"t1","assignment":3,"end":"failed"}""")
            .Should().Be(new TrialFinished(new TrialId("t1"), 3, TrialEnd.Failed));

        Read("TrialAssigned.v1", """{"trialId":"t1","slot":"slot-a","assignment":1}""")
            .Should().Be(new TrialAssigned(new TrialId("t1"), "slot-a", 1));
        Read("SweepLaunched.v1", """{"sweepId":"s1","name":"grid","trialIds":["t2","t1"]}""")
            .Should().BeEquivalentTo(new SweepLaunched(new SweepId("s1"), "grid", [new TrialId("t2"), new TrialId("t1")]), o => o.WithStrictOrdering());
        var snapshot = (WorkQueueSnapshot)Read("WorkQueueSnapshot.v1",
            """{"sweeps":[{"id":"s1","name":"grid","cancelled":false,"trials":[{"id":"t1","status":"pending","slot":null,"assignments":0}]}],"pending":["t1"]}""");
        var queue = WorkQueue.From(snapshot);
        queue.TrialsOf(new SweepId("s1")).Should().Equal(new TrialId("t1"));
        queue.Assign("slot-a").Should().Be(new TrialAssigned(new TrialId("t1"), "slot-a", 1));
    }

    [Fact]
    public void A_snapshot_of_a_working_queue_restores_through_json()
    {
        var queue = new WorkQueue();
        queue.Apply(queue.Launch(new SweepId("s1"), "grid", [new TrialId("t1"), new TrialId("t2"), new TrialId("t3")])!);
        queue.Apply(queue.Launch(new SweepId("s2"), "other", [new TrialId("t4"), new TrialId("t5")])!);
        queue.Apply(queue.Assign(Slot)!);
        queue.Apply(queue.Assign(Slot)!);
        queue.Apply(queue.Release(new TrialId("t2"), 1, "gone")!);
        queue.Apply(queue.Finish(new TrialId("t1"), 1, TrialEnd.Failed)!);
        queue.Apply(queue.Cancel(new SweepId("s2"))!);
        var snapshot = queue.Snapshot();

        var restored = WorkQueue.From((WorkQueueSnapshot)CoordinatorEventCatalog.Deserialize(
            CoordinatorEventCatalog.StoredName(snapshot), CoordinatorEventCatalog.Serialize(snapshot)));

        restored.Snapshot().Should().BeEquivalentTo(snapshot, o => o.WithStrictOrdering());
        restored.IsCancelled(new SweepId("s2")).Should().BeTrue();
        restored.StatusOf(new TrialId("t1")).Should().Be(TrialStatus.Failed);
        restored.Assign(Slot).Should().Be(new TrialAssigned(new TrialId("t2"), Slot, 2));
    }

    [Theory]
    [InlineData("Nope.v1", "{}")]
    [InlineData("TrialFinished.v2", """{"trialId":"t1","assignment":1,"end":"completed"}""")]
    [InlineData("TrialFinished", """{"trialId":"t1","assignment":1,"end":"completed"}""")]
    [InlineData("trialfinished.v1", """{"trialId":"t1","assignment":1,"end":"completed"}""")]
    [InlineData("Orchestrator.Domain.Coordination.TrialFinished", """{"trialId":"t1","assignment":1,"end":"completed"}""")]
    [InlineData("", "{}")]
    public void An_unknown_name_is_invalid_data(string name, string payload)
    {
        var act = () => Read(name, payload);
        act.Should().Throw<InvalidDataException>().WithMessage($"*'{name}'*");
    }

    [Theory]
    [InlineData("TrialFinished.v1", "{not json")]
    [InlineData("TrialFinished.v1", "")]
    [InlineData("TrialFinished.v1", "[]")]
    [InlineData("TrialFinished.v1", """{"trialId":"t1","assignment":1,"end":"exploded"}""")]
    [InlineData("TrialAssigned.v1", """{"trialId":"t1","slot":"s","assignment":"one"}""")]
    [InlineData("SweepLaunched.v1", """{"sweepId":"s1","name":"grid","trialIds":"t1"}""")]
    [InlineData("WorkQueueSnapshot.v1", """{"sweeps":[{"id":"s1","name":"g","cancelled":false,"trials":[{"id":"t1","status":"lost"}]}],"pending":[]}""")]
    [InlineData("TrialFinished.v1", """{"trialId":"t1","assignment":1}""")]
    [InlineData("TrialFinished.v1", """{"trialId":"t1","assignment":1,"end":0}""")]
    [InlineData("TrialAssigned.v1", """{"trialId":null,"slot":"s","assignment":1}""")]
    [InlineData("SweepLaunched.v1", """{"sweepId":"s1","name":"grid"}""")]
    public void A_payload_that_does_not_fit_its_name_is_invalid_data(string name, string payload)
    {
        var act = () => Read(name, payload);
        act.Should().Throw<InvalidDataException>().WithInnerException<JsonException>();
    }

    [Fact]
    public void A_null_payload_is_invalid_data()
    {
        var act = () => Read("SweepCancelled.v1", "null");
        act.Should().Throw<InvalidDataException>().WithMessage("SweepCancelled.v1: empty payload");
    }

    [Fact]
    public void Other_values_are_not_coordinator_events()
    {
        CoordinatorEventCatalog.Handles("a string").Should().BeFalse();
        CoordinatorEventCatalog.Handles(new TrialSnapshot(new TrialId("t1"), TrialStatus.Pending, null, 0)).Should().BeFalse("only whole snapshots are stored");

        var act = () => CoordinatorEventCatalog.StoredName(42);
        act.Should().Throw<ArgumentException>().WithMessage("Int32 is not a coordinator event*");
    }
}
