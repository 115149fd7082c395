using System.Text.Json.Nodes;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Events;

public class EventCatalogTests
{
    public static readonly TrialEvent[] Samples =
    [
        new TrialStarted(Strategy.Dynamic, "mobilenet_v2", 5, 0.001, 5, 3, 0.1, 100, 0, StopPolicy.Algorithm1, 0.001, 7, 4),
        new EpochCompleted(3, 0.9, 0.8, 0.7, 0.6, 0.0009, 2, 1, 12.5),
        new BestImproved(3, 0.8, "best-e0003.pt", "abc123"),
        new GroupsUnfrozen(4, 0, 3, 0.00081),
        new BestWeightsRestored(4, 3),
        new CheckpointSaved(4, "epoch-e0004.pt", "def456"),
        new TrainingStopped(9, StopReason.EpochBudget),
        new TrialCompleted(3, 0.8, 9, 0.85, 0.75, 0.7, [[5, 1], [2, 4]], null, ClassNames: ["a", "b"], ModelBytes: 10, LoadSeconds: 0.5,
            TestOutputs: new TestOutputsFile("test-outputs-a002-ab12.json", "ab12")),
        new TrialFailed("engine: out of memory"),
        new AttemptFailed(2, "IOException: disk full"),
        new AttemptStarted("slot-1") { Attempt = 3 },
        new TrialDiverged(5, "val loss 8424 exceeds 20 (10 x the reference loss 2)"),
        new TrialPruned(3, 1, 0.4375, 2),
    ];

    public static TheoryData<TrialEvent> Each => new(Samples);

    [Fact]
    public void Samples_cover_every_stored_type()
    {
        Samples.Select(e => EventCatalog.Serialize(e).Type).Should().BeEquivalentTo(EventCatalog.StoredTypes);
    }

    [Theory]
    [MemberData(nameof(Each))]
    public void Every_event_round_trips_under_a_versioned_name(TrialEvent e)
    {
        var stored = EventCatalog.Serialize(e);

        stored.Type.Should().Be(e.GetType().Name + (e is TrialCompleted ? ".v2" : ".v1"));
        var back = EventCatalog.Deserialize(stored.Type, stored.Payload);
        back.Should().BeOfType(e.GetType());
        back.Should().BeEquivalentTo(e, o => o.RespectingRuntimeTypes());
        EventCatalog.PublicName(e).Should().Be(e.GetType().Name);
    }

    [Fact]
    public void Payloads_are_camel_case()
    {
        EventCatalog.Serialize(new BestImproved(3, 0.5, "best-e0003.pt", "ff")).Payload
            .Should().Be("""{"epoch":3,"valLoss":0.5,"checkpoint":"best-e0003.pt","sha256":"ff","attempt":0}""");
    }

    [Theory]
    [InlineData("plateau-after-full-unfreeze", StopReason.PlateauAfterFullUnfreeze)]
    [InlineData("epoch-budget", StopReason.EpochBudget)]
    [InlineData("algorithm-1-complete", StopReason.Algorithm1Complete)]
    [InlineData("round-limit", StopReason.RoundLimit)]
    [InlineData("early-stopping", StopReason.EarlyStopping)]
    [InlineData("schedule-complete", StopReason.ScheduleComplete)]
    [InlineData("final-phase-plateau", StopReason.FinalPlateau)]
    public void A_stop_reason_reads_and_writes_as_journals_have_always_spelled_it(string spelled, StopReason reason)
    {
        var payload = $$"""{"epoch":3,"reason":"{{spelled}}","attempt":1}""";

        EventCatalog.Deserialize("TrainingStopped.v1", payload).Should().Be(new TrainingStopped(3, reason) { Attempt = 1 });
        EventCatalog.Serialize(new TrainingStopped(3, reason) { Attempt = 1 }).Payload.Should().Be(payload);
    }

    [Fact]
    public void A_divergence_is_stored_under_its_own_name_with_its_epoch_and_reason()
    {
        var stored = EventCatalog.Serialize(new TrialDiverged(5, "val loss is NaN") { Attempt = 2 });

        (stored.Type, stored.Payload).Should().Be(("TrialDiverged.v1", """{"epoch":5,"reason":"val loss is NaN","attempt":2}"""));
    }

    [Fact]
    public void Non_finite_losses_survive_a_round_trip()
    {
        var e = new EpochCompleted(1, double.NaN, double.PositiveInfinity, 0, 0, 0.1, 0, 1, 1);
        var stored = EventCatalog.Serialize(e);
        EventCatalog.Deserialize(stored.Type, stored.Payload).Should().Be(e);
    }

    [Fact]
    public void A_trial_started_payload_without_max_rounds_reads_as_ten()
    {
        var e = (TrialStarted)EventCatalog.Deserialize("TrialStarted.v1",
            """{"strategy":"dynamic","backbone":"b","groups":3,"learningRate":0.1,"patience":2,"step":1,"decay":0.1,"maxEpochs":5,"initialUnfrozenGroups":0,"stopPolicy":"algorithm-1","minDelta":0,"seed":1}""");
        e.MaxRounds.Should().Be(10);
    }

    [Theory]
    [InlineData("TrialStarted.v9", "{}")]
    [InlineData("Nope.v1", "{}")]
    [InlineData("TrialStarted", "{}")]
    [InlineData("TrainingStopped.v1", "{not json")]
    [InlineData("TrainingStopped.v1", """{"epoch":1}""")]
    [InlineData("TrainingStopped.v1", "null")]
    [InlineData("TrainingStopped.v1", """{"epoch":1,"reason":"bored"}""")]
    [InlineData("TrainingStopped.v1", """{"epoch":1,"reason":3}""")]
    public void Unknown_types_and_bad_payloads_are_invalid_data(string type, string payload)
    {
        var act = () => EventCatalog.Deserialize(type, payload);
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Public_json_starts_with_seq_and_type_then_the_fields_in_camel_case()
    {
        static string[] Keys(JsonObject o) => o.Select(kv => kv.Key).ToArray();

        var started = EventCatalog.ToPublicJson(1, Samples[0]);
        Keys(started).Should().Equal("seq", "type", "attempt", "strategy", "backbone", "groups", "learningRate", "patience", "step",
            "decay", "maxEpochs", "initialUnfrozenGroups", "stopPolicy", "minDelta", "seed", "maxRounds");
        started["seq"]!.GetValue<long>().Should().Be(1);
        started["type"]!.GetValue<string>().Should().Be("TrialStarted");

        Keys(EventCatalog.ToPublicJson(2, Samples[1])).Should().Equal("seq", "type", "attempt", "epoch", "trainLoss", "valLoss",
            "valAccuracy", "valMacroF1", "learningRate", "unfrozenGroups", "patienceCounter", "seconds", "featureCacheHits",
            "featureCacheMisses");
        Keys(EventCatalog.ToPublicJson(3, Samples[2])).Should().Equal("seq", "type", "attempt", "epoch", "valLoss", "checkpoint", "sha256");
        Keys(EventCatalog.ToPublicJson(4, Samples[3])).Should().Equal("seq", "type", "attempt", "epoch", "from", "to", "learningRate");
        Keys(EventCatalog.ToPublicJson(5, Samples[4])).Should().Equal("seq", "type", "attempt", "epoch", "bestEpoch");
        Keys(EventCatalog.ToPublicJson(6, Samples[5])).Should().Equal("seq", "type", "attempt", "epoch", "checkpoint", "sha256");
        Keys(EventCatalog.ToPublicJson(7, Samples[6])).Should().Equal("seq", "type", "attempt", "epoch", "reason");
        Keys(EventCatalog.ToPublicJson(9, Samples[8])).Should().Equal("seq", "type", "attempt", "reason");

        var completed = EventCatalog.ToPublicJson(8, Samples[7]);
        Keys(completed).Should().Equal("seq", "type", "attempt", "bestEpoch", "bestValLoss", "epochsRun", "testLoss", "testAccuracy",
            "testMacroF1", "confusionMatrix", "testPredictions", "testLabels", "testProbabilities", "classNames",
            "modelBytes", "loadSeconds", "testOutputs");
        completed["type"]!.GetValue<string>().Should().Be("TrialCompleted");
        completed["confusionMatrix"]!.ToJsonString().Should().Be("[[5,1],[2,4]]");
        completed["testAccuracy"]!.GetValue<double>().Should().Be(0.75);
    }

    // Written when Strategy and StopPolicy were strings; the enums must read and write them unchanged.
    [Theory]
    [InlineData(
        """{"strategy":"fixed-top-n","backbone":"lightweight-cnn","groups":5,"learningRate":0.01,"patience":5,"step":0,"decay":0,"maxEpochs":30,"initialUnfrozenGroups":2,"stopPolicy":"algorithm-1","minDelta":0,"seed":2,"maxRounds":4,"attempt":0}""",
        """{"seq":1,"type":"TrialStarted","attempt":0,"strategy":"fixed-top-n","backbone":"lightweight-cnn","groups":5,"learningRate":0.01,"patience":5,"step":0,"decay":0,"maxEpochs":30,"initialUnfrozenGroups":2,"stopPolicy":"algorithm-1","minDelta":0,"seed":2,"maxRounds":4}""")]
    [InlineData(
        """{"strategy":"dynamic","backbone":"mobilenet_v2","groups":5,"learningRate":0.001,"patience":5,"step":3,"decay":0.1,"maxEpochs":100,"initialUnfrozenGroups":0,"stopPolicy":"plateau-after-full-unfreeze","minDelta":0,"seed":7,"maxRounds":10,"attempt":0}""",
        """{"seq":1,"type":"TrialStarted","attempt":0,"strategy":"dynamic","backbone":"mobilenet_v2","groups":5,"learningRate":0.001,"patience":5,"step":3,"decay":0.1,"maxEpochs":100,"initialUnfrozenGroups":0,"stopPolicy":"plateau-after-full-unfreeze","minDelta":0,"seed":7,"maxRounds":10}""")]
    public void An_old_TrialStarted_payload_reads_and_writes_back_unchanged(string payload, string publicJson)
    {
        var e = (TrialStarted)EventCatalog.Deserialize("TrialStarted.v1", payload);

        EventCatalog.Serialize(e).Payload.Should().Be(payload);
        EventCatalog.ToPublicJson(1, e).ToJsonString().Should().Be(publicJson);
    }

    [Fact]
    public void An_old_TrialStarted_payload_reads_into_the_enums()
    {
        var e = (TrialStarted)EventCatalog.Deserialize("TrialStarted.v1",
            """{"strategy":"fixed-top-n","backbone":"b","groups":3,"learningRate":0.1,"patience":2,"step":0,"decay":0,"maxEpochs":5,"initialUnfrozenGroups":1,"stopPolicy":"plateau-after-full-unfreeze","minDelta":0,"seed":1}""");
        e.Strategy.Should().Be(Strategy.FixedTopN);
        e.StopPolicy.Should().Be(StopPolicy.PlateauAfterFullUnfreeze);
    }

    [Theory]
    [InlineData("""{"strategy":"greedy","backbone":"b","groups":3,"learningRate":0.1,"patience":2,"step":1,"decay":0.1,"maxEpochs":5,"initialUnfrozenGroups":0,"stopPolicy":"algorithm-1","minDelta":0,"seed":1}""")]
    [InlineData("""{"strategy":0,"backbone":"b","groups":3,"learningRate":0.1,"patience":2,"step":1,"decay":0.1,"maxEpochs":5,"initialUnfrozenGroups":0,"stopPolicy":"algorithm-1","minDelta":0,"seed":1}""")]
    [InlineData("""{"strategy":"dynamic","backbone":"b","groups":3,"learningRate":0.1,"patience":2,"step":1,"decay":0.1,"maxEpochs":5,"initialUnfrozenGroups":0,"stopPolicy":"Algorithm1","minDelta":0,"seed":1}""")]
    public void A_TrialStarted_payload_with_an_unknown_choice_is_invalid_data(string payload) =>
        FluentActions.Invoking(() => EventCatalog.Deserialize("TrialStarted.v1", payload)).Should().Throw<InvalidDataException>();

    [Fact]
    public void A_TrialCompleted_payload_from_before_the_report_fields_still_reads()
    {
        const string old = """{"bestEpoch":2,"bestValLoss":0.5,"epochsRun":4,"testLoss":0.6,"testAccuracy":0.7,"testMacroF1":0.6,"confusionMatrix":[[1]],"testPredictions":[0]}""";
        var e = (TrialCompleted)EventCatalog.Deserialize("TrialCompleted.v1", old);
        e.TestLabels.Should().BeNull();
        e.TestProbabilities.Should().BeNull();
        e.ModelBytes.Should().Be(0);
        e.LoadSeconds.Should().Be(0);
    }

    // Written before the per-image outputs moved into their own file: they read inline, and read and write back unchanged.
    private const string InlineOutputsPayload =
        """{"bestEpoch":2,"bestValLoss":0.5,"epochsRun":4,"testLoss":0.6,"testAccuracy":0.5,"testMacroF1":0.4,"confusionMatrix":[[1,0],[1,0]],"testPredictions":[0,0],"testLabels":[0,1],"testProbabilities":[[0.9,0.1],[0.6,0.4]],"classNames":["a","b"],"modelBytes":10,"loadSeconds":0.5,"attempt":1}""";

    [Fact]
    public void A_TrialCompleted_v1_payload_with_inline_outputs_reads_and_writes_back_unchanged()
    {
        var e = (TrialCompleted)EventCatalog.Deserialize("TrialCompleted.v1", InlineOutputsPayload);

        e.TestPredictions.Should().Equal(0, 0);
        e.TestLabels.Should().Equal(0, 1);
        e.TestProbabilities![1].Should().Equal(0.6f, 0.4f);
        e.TestOutputs.Should().BeNull();
        EventCatalog.Serialize(e).Payload.Should().Be(InlineOutputsPayload);
        EventCatalog.ToPublicJson(1, e).ContainsKey("testOutputs").Should().BeFalse("old events print as they did");
        EventCatalog.ReadableTypes.Should().Contain(["TrialCompleted.v1", "TrialCompleted.v2"]);
    }

    [Fact]
    public void A_TrialCompleted_v1_payload_without_predictions_is_invalid_data() =>
        FluentActions.Invoking(() => EventCatalog.Deserialize("TrialCompleted.v1",
                """{"bestEpoch":2,"bestValLoss":0.5,"epochsRun":4,"testLoss":0.6,"testAccuracy":0.7,"testMacroF1":0.6,"confusionMatrix":[[1]]}"""))
            .Should().Throw<InvalidDataException>().WithMessage("*testPredictions*");

    [Fact]
    public void Inlined_outputs_read_from_their_file_equal_the_old_inline_event()
    {
        var old = (TrialCompleted)EventCatalog.Deserialize("TrialCompleted.v1", InlineOutputsPayload);
        var outputs = new TestOutputs(old.TestLabels!, old.TestPredictions!, old.TestProbabilities!);
        var content = outputs.ToUtf8Json();
        var sha = TestOutputs.Sha256Of(content);
        var moved = old with { TestLabels = null, TestPredictions = null, TestProbabilities = null, TestOutputs = new TestOutputsFile("f", sha) };
        var stored = EventCatalog.Serialize(moved);
        stored.Type.Should().Be("TrialCompleted.v2");
        stored.Payload.Length.Should().BeLessThan(InlineOutputsPayload.Length + 100);

        var back = ((TrialCompleted)EventCatalog.Deserialize(stored.Type, stored.Payload)).WithOutputs(TestOutputs.FromUtf8Json(content, sha));

        back.Should().BeEquivalentTo(old, o => o.Excluding(c => c.TestOutputs));
        FluentActions.Invoking(() => TestOutputs.FromUtf8Json([.. content, (byte)' '], sha)).Should().Throw<InvalidDataException>().WithMessage("*SHA-256*");
    }

    [Fact]
    public void The_attempt_travels_in_every_payload_and_older_payloads_without_it_read_as_attempt_0()
    {
        var stamped = new EpochCompleted(3, 0.9, 0.8, 0.7, 0.6, 0.0009, 2, 1, 12.5) { Attempt = 4 };
        var stored = EventCatalog.Serialize(stamped);
        stored.Payload.Should().Contain("\"attempt\":4");
        EventCatalog.Deserialize(stored.Type, stored.Payload).Attempt.Should().Be(4);
        EventCatalog.ToPublicJson(7, stamped)["attempt"]!.GetValue<int>().Should().Be(4);

        var old = EventCatalog.Deserialize("EpochCompleted.v1",
            """{"epoch":3,"trainLoss":0.9,"valLoss":0.8,"valAccuracy":0.7,"valMacroF1":0.6,"learningRate":0.0009,"unfrozenGroups":2,"patienceCounter":1,"seconds":12.5}""");
        old.Attempt.Should().Be(0);
        old.Should().BeOfType<EpochCompleted>().Which.FeatureCacheHits.Should().Be(0, "payloads from before the feature cache lack its counters");
        var counted = new EpochCompleted(3, 0.9, 0.8, 0.7, 0.6, 0.0009, 2, 1, 12.5, FeatureCacheHits: 70, FeatureCacheMisses: 30);
        var roundTrip = (EpochCompleted)EventCatalog.Deserialize("EpochCompleted.v1", EventCatalog.Serialize(counted).Payload);
        (roundTrip.FeatureCacheHits, roundTrip.FeatureCacheMisses).Should().Be((70L, 30L));
        EventCatalog.Deserialize("AttemptFailed.v1", """{"attempt":2,"reason":"IOException: disk full"}""")
            .Should().BeOfType<AttemptFailed>().Which.Reason.Should().Be("IOException: disk full");
    }
}
