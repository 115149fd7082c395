using Orchestrator.TestEngine;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Persistence;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Slots;
using Orchestrator.Catalogue.Sqlite;
using Orchestrator.Runtime.Trials;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Tests;

/// <summary>The trial and slot actors on their own, with the product's journal (a SQLite file) and serializer.</summary>
public sealed class TrialActorTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private const string Grid = """
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        batchSize: 8
        hyperparameters: { patience: [2], step: [2], decay: [0.1], epochs: [10] }
        """;

    private readonly HostedActorSystem _hosted;
    private readonly string _root;
    private readonly TrialSpec _spec;
    private readonly DatasetCache _datasets = new(ManifestDataset.Open);
    private readonly SlotThreads _threads = new("slot-0");

    public TrialActorTests() : this(Path.Combine(Path.GetTempPath(), "orch-actors-" + Guid.NewGuid().ToString("N")[..8])) { }

    private TrialActorTests(string root) : this(root,
        HostedActorSystem.Start(RuntimeConfig.SystemName, b => b.Reader(StoreUrl.Parse($"sqlite:{Path.Combine(root, "journal.db")}")))) { }

    private TrialActorTests(string root, HostedActorSystem hosted) : base(hosted.System)
    {
        _hosted = hosted;
        _root = root;
        ManifestDataset.Write(Path.Combine(root, "data"), 100);
        _spec = Sweeps.SweepPlanner.Plan(SweepFixture.Yaml(root, Grid)).Trials.Single().Spec;
    }

    private static double Loss(int epoch) => epoch <= 3 ? 1.0 / epoch : 0.5;

    private TrialServices Services(TrainerFactory trainers) =>
        new(Path.Combine(_root, "artifacts"), _datasets, trainers, NullRunObserver.Instance, MinBackoff: TimeSpan.FromMilliseconds(100));

    private TrialAssignment Assignment(string trialId) => new(new TrialId(trialId), new SweepId("sw-test"), _spec, "slot-0");


    private Task<IReadOnlyList<JournaledEvent>> JournalAsync(string trialId) => new TrialJournalReader(Sys).ReadAsync(trialId);

    /// <summary>Issue 23, the nemesis's freeze test (2026-12-05 16:22): a worker thawed after it was downed started the
    /// trial it held, journaled that attempt before the trial's new node did, and trained beside it for 0.55 s. A trial
    /// whose process stood still after it was assigned starts nothing, journals nothing, and goes back.</summary>
    [Fact]
    public async Task A_held_trial_whose_process_stood_still_since_its_assignment_starts_nothing_and_goes_back()
    {
        var trained = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var slot = CreateTestProbe();
        // A limit below the watch's own tick (100 ms): every tick counts as a pause, as a thaw after a SIGSTOP would.
        using var pauses = new PauseWatch(TimeSpan.FromMilliseconds(10));
        var services = Services((_, _, _) => new FakeTrainer(4, Loss) { OnTrainEpoch = trained.Enqueue }) with { Pauses = pauses };
        var gate = new StartGate();
        Sys.ActorOf(TrialActor.Supervised(Assignment("t-held") with { Gate = gate }, services, _threads, slot));
        await Task.Delay(TimeSpan.FromMilliseconds(400));

        gate.Open();

        slot.FishForMessage<TrialEnded>(_ => true, TimeSpan.FromSeconds(20)).Exit.Should().Be(TrialExit.Interrupted);
        trained.Should().BeEmpty();
        (await JournalAsync("t-held")).Should().BeEmpty("a stale attempt must not even take a sequence number");
    }

    [Fact]
    public async Task A_slot_trains_one_trial_at_a_time_holds_one_next_trial_refuses_a_third_and_ignores_an_assignment_sent_again_even_once_ended()
    {
        await using var store = await SqliteCatalogue.OpenAsync(Path.Combine(_root, "store.db"));
        var planned = Sweeps.SweepPlanner.Plan(SweepFixture.Yaml(_root, Grid)).Trials.Single();
        var now = DateTimeOffset.UtcNow;
        await store.RegisterSweepAsync(new SweepRecord(new SweepId("sw-test"), "test", "", now),
            [.. new[] { "t-one", "t-two", "t-three" }.Select(id => new TrialRecord(new TrialId(id), new SweepId("sw-test"), planned.CanonicalJson, TrialStatus.Pending, null, 0, now))]);
        using var release = new ManualResetEventSlim();
        var epochs = new System.Collections.Concurrent.ConcurrentQueue<int>(); // which trainer trained, in order
        var trainers = 0;
        var coordinator = CreateTestProbe();
        var slot = Sys.ActorOf(SlotActor.Props(coordinator, Services((_, _, _) =>
        {
            var trainer = Interlocked.Increment(ref trainers);
            return new FakeTrainer(4, Loss)
            {
                OnTrainEpoch = e =>
                {
                    epochs.Enqueue(trainer);
                    if (trainer == 1 && e == 1) release.Wait(TimeSpan.FromSeconds(20));
                },
            };
        }), store, null, TimeSpan.FromMinutes(10)), "slot-0");
        var registered = coordinator.ExpectMsg<RegisterSlot>();
        registered.Slot.Should().EndWith("/user/slot-0");
        registered.WantsWork.Should().BeTrue();

        slot.Tell(new WorkAssigned(new TrialId("t-one"), new SweepId("sw-test"), 1), coordinator);
        slot.Tell(new WorkAssigned(new TrialId("t-one"), new SweepId("sw-test"), 1), coordinator);
        slot.Tell(new WorkAssigned(new TrialId("t-two"), new SweepId("sw-test"), 1), coordinator);
        slot.Tell(new WorkAssigned(new TrialId("t-three"), new SweepId("sw-test"), 1), coordinator);

        coordinator.ExpectMsg<WorkRejected>().TrialId.Should().Be(new TrialId("t-three"), "the same assignment sent again is not refused, a next one is held, a third refused");
        release.Set();
        var first = coordinator.ExpectMsg<WorkReturned>(TimeSpan.FromSeconds(20));
        (first.TrialId, first.Exit, first.WantsWork).Should().Be((new TrialId("t-one"), TrialExit.Ended(TrialEnd.Completed), false), "the held trial runs next: the slot wants nothing more");
        // The first trial's assignment sent again once it has ended (a registration crossed it): ignored, neither run
        // again nor refused (a refusal would hand back a trial as if it had not run).
        slot.Tell(new WorkAssigned(new TrialId("t-one"), new SweepId("sw-test"), 1), coordinator);
        coordinator.ExpectMsg<RequestWork>(TimeSpan.FromSeconds(20), "once the second trial's training has stopped it asks for the one after it ahead");
        var second = coordinator.ExpectMsg<WorkReturned>(TimeSpan.FromSeconds(20));
        (second.TrialId, second.Assignment, second.Exit, second.WantsWork).Should().Be((new TrialId("t-two"), 1, TrialExit.Ended(TrialEnd.Completed), true));
        // Trainer numbers in the order their epochs ran: two unbroken runs, the first trial's then the second's.
        var runs = epochs.Aggregate(new List<int>(), (seen, trainer) =>
        {
            if (seen.Count == 0 || seen[^1] != trainer) seen.Add(trainer);
            return seen;
        });
        runs.Should().HaveCount(2, $"the held trial trains only once the first has ended (epochs by trainer: {string.Join(",", epochs)})");
        (await JournalAsync("t-two")).Select(e => e.Event).OfType<AttemptStarted>().Should().ContainSingle();
    }

    [Fact]
    public async Task A_trial_that_keeps_throwing_is_restarted_with_backoff_then_fails_with_its_reasons()
    {
        var starts = new List<DateTime>();
        var slot = CreateTestProbe();
        Sys.ActorOf(TrialActor.Supervised(Assignment("t-broken"), Services((_, _, _) => new FakeTrainer(4, Loss)
        {
            OnTrainEpoch = e =>
            {
                lock (starts) starts.Add(DateTime.UtcNow);
                throw new InvalidOperationException("engine fell over");
            },
        }), _threads, slot));

        var ended = slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20));

        ended.Exit.Should().Be(TrialExit.Ended(TrialEnd.Failed));
        ended.State.FailureReason.Should().Contain("engine fell over").And.Contain("3 attempts failed");
        starts.Should().HaveCount(3);
        // Backoff 100 ms, then 200 ms (+ up to 20 % random); each gap is measured between two attempts' starts, so one
        // attempt's slower start on a loaded machine can take up to ~50 ms off it: the second gap still exceeds the base.
        (starts[1] - starts[0]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(60));
        (starts[2] - starts[1]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(140));
        var events = (await JournalAsync("t-broken")).Select(e => e.Event).ToList();
        events.OfType<AttemptFailed>().Select(a => (a.Attempt, a.Reason)).Should().Equal(
            (1, "InvalidOperationException: engine fell over"), (2, "InvalidOperationException: engine fell over"), (3, "InvalidOperationException: engine fell over"));
        events.Last().Should().BeOfType<TrialFailed>();
    }

    [Fact]
    public async Task A_cancel_lets_the_epoch_under_way_finish_and_be_journaled_then_stops_keeping_journal_and_checkpoints()
    {
        using var third = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var slot = CreateTestProbe();
        var trial = Sys.ActorOf(TrialActor.Supervised(Assignment("t-cancel"), Services((_, _, _) => new FakeTrainer(4, Loss)
        {
            OnTrainEpoch = e =>
            {
                if (e != 3) return;
                third.Set();
                release.Wait(TimeSpan.FromSeconds(20));
            },
        }), _threads, slot));
        third.Wait(TimeSpan.FromSeconds(20)).Should().BeTrue();

        trial.Tell(new StopTrial(StopCause.SweepCancelled));
        trial.Tell(new GetTrialStatus(), TestActor);
        ExpectMsg<TrialStatusReport>(hint: "the actor answers while its engine trains").TrainingEpoch.Should().Be(3);
        release.Set();

        var ended = slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20));
        ended.Exit.Should().Be(TrialExit.Ended(TrialEnd.Cancelled));
        ended.State.EpochsDone.Should().Be(3);
        ended.State.Phase.Should().Be(TrialPhase.Training, "a cancelled trial resumes later from its journal");
        var latest = Path.Combine(_root, "artifacts", "t-cancel", ended.State.LatestCheckpoint!);
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(latest))).Should().Be(ended.State.LatestSha256);
        (await JournalAsync("t-cancel")).Select(e => e.Event).OfType<EpochCompleted>().Select(e => e.Epoch).Should().Equal(1, 2, 3);
    }

    /// <summary>Issue 28: a trial on its cell's ladder trains to its rung's epochs and leaves its slot with its result;
    /// promoted, it goes on from its journal; pruned, it journals <see cref="Orchestrator.Domain.Events.TrialPruned"/> after its last epoch, trains
    /// nothing more and keeps its journal and checkpoints.</summary>
    [Fact]
    public async Task A_laddered_trial_stops_at_its_rung_goes_on_when_promoted_and_journals_its_pruning_after_its_last_epoch()
    {
        var trained = new List<int>();
        var services = Services((_, _, _) => new FakeTrainer(4, Loss) { OnTrainEpoch = e => { lock (trained) trained.Add(e); } });
        var slot = CreateTestProbe();
        // Said as each rung's last epoch begins, so that its slot asks ahead: not what this test is about.
        slot.IgnoreMessages(m => m is TrialFinishing);

        Sys.ActorOf(TrialActor.Supervised(Assignment("t-rung") with { Rung = new RungOrder(0, 2, false, 0) }, services, _threads, slot));
        var reached = slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20));
        reached.Exit.Should().Be(new TrialExit(null, AtRung: true, Epochs: 2, BestValLoss: Loss(2)));
        reached.State.Phase.Should().Be(TrialPhase.Training);

        Sys.ActorOf(TrialActor.Supervised(Assignment("t-rung") with { Rung = new RungOrder(1, 3, false, 0) }, services, _threads, slot));
        slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20)).Exit.Should().Be(new TrialExit(null, AtRung: true, Epochs: 3, BestValLoss: Loss(3)));
        lock (trained) trained.Should().Equal([1, 2, 3], "promoted, it trains on from the epoch its journal holds");

        // Assigned again at a rung it has reached (its report lost with a coordinator): it says so, with nothing to train.
        Sys.ActorOf(TrialActor.Supervised(Assignment("t-rung") with { Rung = new RungOrder(1, 3, false, 0) }, services, _threads, slot));
        slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20)).Exit.AtRung.Should().BeTrue();

        Sys.ActorOf(TrialActor.Supervised(Assignment("t-rung") with { Rung = new RungOrder(1, 0, true, 4) }, services, _threads, slot));
        var pruned = slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20));
        pruned.Exit.Should().Be(new TrialExit(TrialEnd.Pruned, Epochs: 3, BestValLoss: Loss(3)));
        lock (trained) trained.Should().Equal([1, 2, 3], "a pruned trial trains nothing more");
        var journal = (await JournalAsync("t-rung")).Select(e => e.Event).ToList();
        journal[^1].Should().Be(new Orchestrator.Domain.Events.TrialPruned(3, 1, Loss(3), 4) { Attempt = journal[^2].Attempt });
        journal[^2].Should().BeOfType<CheckpointSaved>().Which.Epoch.Should().Be(3, "pruned after its last epoch, whose checkpoint it keeps");
        var latest = Path.Combine(_root, "artifacts", "t-rung", pruned.State.LatestCheckpoint!);
        File.Exists(latest).Should().BeTrue("a pruned trial keeps its checkpoints");

        // Its end is its journal's: assigned again, it ends pruned at once.
        Sys.ActorOf(TrialActor.Supervised(Assignment("t-rung"), services, _threads, slot));
        slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20)).Exit.End.Should().Be(TrialEnd.Pruned);
    }

    [Theory]
    [InlineData(StopCause.NodeDowned, new[] { 1 })]
    [InlineData(StopCause.Shutdown, new[] { 1, 2 })]
    public async Task A_downed_node_drops_the_commit_under_way_where_a_shutdown_finishes_it(StopCause cause, int[] journaled)
    {
        var trialId = $"t-{cause}".ToLowerInvariant();
        // Epoch 2's commit stops while it stores the epoch's checkpoint: under way, not journaled, when the stop comes.
        using var blobs = new BlockingBlobs("-e0002");
        var slot = CreateTestProbe();
        var trial = Sys.ActorOf(TrialActor.Supervised(Assignment(trialId), Services((_, _, _) => new FakeTrainer(4, Loss) { HangAtEpoch = 3 })
            with { Blobs = blobs }, _threads, slot));
        blobs.Reached.Wait(TimeSpan.FromSeconds(20)).Should().BeTrue();

        trial.Tell(new StopTrial(cause));
        await Task.Delay(200);
        blobs.Release.Set();

        var ended = slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20));
        ended.Exit.Should().Be(TrialExit.Interrupted);
        (await JournalAsync(trialId)).Select(e => e.Event).OfType<EpochCompleted>().Select(e => e.Epoch).Should().Equal(journaled);
    }

    [Fact]
    public async Task A_held_trial_stopped_at_its_gate_ends_there_and_its_work_never_starts()
    {
        var gate = new StartGate();
        var trainers = 0;
        var slot = CreateTestProbe();
        var trial = Sys.ActorOf(TrialActor.Supervised(Assignment("t-gated") with { Gate = gate }, Services((_, _, _) =>
        {
            Interlocked.Increment(ref trainers);
            return new FakeTrainer(4, Loss);
        }), _threads, slot));
        trial.Tell(new GetTrialStatus(), TestActor);
        ExpectMsg<TrialStatusReport>(TimeSpan.FromSeconds(10)).TrainingEpoch.Should().Be(1, "recovered, it waits at its gate");

        trial.Tell(new StopTrial(StopCause.SweepCancelled));

        slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(10), "a stop at the gate does not wait for the gate").Exit.Should().Be(TrialExit.Ended(TrialEnd.Cancelled));
        gate.Open();
        await Task.Delay(300);
        trainers.Should().Be(0, "its start was taken back from the gate");
        (await JournalAsync("t-gated")).Should().BeEmpty();
    }

    [Theory]
    [InlineData(StopCause.Shutdown, TrialEnd.Completed, new[] { 1, 2 })]
    [InlineData(StopCause.NodeDowned, null, new[] { 1 })]
    public async Task A_stop_while_the_last_epoch_is_committed_with_the_test_result_ends_the_trial_as_that_write_does(
        StopCause cause, TrialEnd? end, int[] journaled)
    {
        var trialId = $"t-last-{cause}".ToLowerInvariant();
        // Two epochs: the second is the last; its commit waits while it stores the epoch's checkpoint, and the test
        // evaluation runs meanwhile, so the result is held for that commit's write when the stop comes.
        using var blobs = new BlockingBlobs("-e0002");
        var slot = CreateTestProbe();
        var trial = Sys.ActorOf(TrialActor.Supervised(Assignment(trialId) with { Spec = _spec with { MaxEpochs = 2 } },
            Services((_, _, _) => new FakeTrainer(4, Loss)) with { Blobs = blobs }, _threads, slot));
        blobs.Reached.Wait(TimeSpan.FromSeconds(20)).Should().BeTrue();
        slot.ExpectMsg<TrialFinishing>(TimeSpan.FromSeconds(10));
        slot.ExpectMsg<TrialEngineDone>(TimeSpan.FromSeconds(10));

        trial.Tell(new StopTrial(cause));
        await Task.Delay(200);
        blobs.Release.Set();

        var ended = slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(20));
        ended.Exit.End.Should().Be(end, "no end: interrupted");
        var events = (await JournalAsync(trialId)).Select(e => e.Event).ToList();
        events.OfType<EpochCompleted>().Select(e => e.Epoch).Should().Equal(journaled);
        events.OfType<TrialCompleted>().Should().HaveCount(end == TrialEnd.Completed ? 1 : 0);
    }

    /// <summary>Keeps blobs in memory; the first put of a name containing <c>blockOn</c> waits until released (or its
    /// token is cancelled).</summary>
    private sealed class BlockingBlobs(string blockOn) : IArtifactBlobs, IDisposable
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (byte[], string)> _stored = new();
        public ManualResetEventSlim Reached { get; } = new();
        public ManualResetEventSlim Release { get; } = new();

        public Task PutArtifactAsync(string trialId, string name, string sha256, byte[] content, CancellationToken ct = default)
        {
            if (name.Contains(blockOn, StringComparison.Ordinal) && !Reached.IsSet)
            {
                Reached.Set();
                Release.Wait(ct);
            }
            _stored.TryAdd($"{trialId}/{name}", (content, sha256));
            return Task.CompletedTask;
        }

        public Task<(byte[] Content, string Sha256)?> GetArtifactAsync(string trialId, string name, CancellationToken ct = default) =>
            Task.FromResult<(byte[] Content, string Sha256)?>(_stored.TryGetValue($"{trialId}/{name}", out var v) ? v : null);

        public Task<int> PruneArtifactsAsync(string trialId, Func<string, bool> doomed, CancellationToken ct = default) =>
            Task.FromResult(0);

        public void Dispose()
        {
            Reached.Dispose();
            Release.Dispose();
        }
    }

    [Fact]
    public async Task On_recovery_a_stale_attempt_s_late_events_are_ignored()
    {
        const string trialId = "t-stale";
        var started = TrialDecider.Start(_spec, 4);
        EpochCompleted Epoch(int n, double val, int attempt) =>
            new EpochCompleted(n, 1, val, 0.5, 0.5, _spec.LearningRate, 0, 0, 1) { Attempt = attempt };
        // Attempt 1 journals epoch 1; attempt 2 takes over and journals epoch 2; then attempt 1, cut off meanwhile,
        // wakes up and writes its own (late) epoch 2 and a stop.
        WriteJournal(JournalSettings.PersistenceIdOf(trialId),
            new AttemptStarted("slot-a") { Attempt = 1 },
            started with { Attempt = 1 },
            Epoch(1, 0.9, 1),
            new AttemptStarted("slot-b") { Attempt = 2 },
            Epoch(2, 0.8, 2),
            Epoch(2, 0.1, 1),
            new TrainingStopped(2, StopReason.EpochBudget) { Attempt = 1 });

        var slot = CreateTestProbe();
        using var hold = new ManualResetEventSlim();
        var trial = Sys.ActorOf(TrialActor.Supervised(Assignment(trialId), Services((_, _, _) => new FakeTrainer(4, Loss)
        {
            OnTrainEpoch = _ => hold.Wait(TimeSpan.FromSeconds(20)),
        }), _threads, slot));
        trial.Tell(new GetTrialStatus(), TestActor);
        var report = ExpectMsg<TrialStatusReport>(TimeSpan.FromSeconds(10));
        hold.Set();

        report.Attempt.Should().Be(3);
        report.Journaled.EpochsDone.Should().Be(2);
        report.Journaled.Phase.Should().Be(TrialPhase.Training, "attempt 1's late stop does not count");
        var journal = await JournalAsync(trialId);
        journal.Where(e => e.Superseded).Select(e => e.Seq).Should().Equal(6, 7);
        journal[7].Event.Should().BeOfType<AttemptStarted>().Which.Attempt.Should().Be(3);
    }

    [Fact]
    public async Task A_trial_whose_next_sequence_number_another_writer_took_stops_for_good()
    {
        const string trialId = "t-raced";
        using var second = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var slot = CreateTestProbe();
        var trial = Sys.ActorOf(TrialActor.Supervised(Assignment(trialId), Services((_, _, _) => new FakeTrainer(4, Loss)
        {
            OnTrainEpoch = e =>
            {
                if (e != 2) return;
                second.Set();
                release.Wait(TimeSpan.FromSeconds(20));
            },
        }), _threads, slot));
        slot.Watch(trial);
        second.Wait(TimeSpan.FromSeconds(20)).Should().BeTrue();
        await AwaitConditionAsync(async () => (await JournalAsync(trialId)).Any(e => e.Event is CheckpointSaved), TimeSpan.FromSeconds(10));
        var taken = (await JournalAsync(trialId)).Count + 1;

        // Another writer (a newer attempt elsewhere) appends first and takes the sequence number this actor will use.
        WriteJournal(JournalSettings.PersistenceIdOf(trialId), startAt: taken, new AttemptStarted("elsewhere") { Attempt = 2 });
        release.Set();

        slot.ExpectTerminated(trial, TimeSpan.FromSeconds(20));
        slot.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var journal = await JournalAsync(trialId);
        journal.Should().HaveCount(taken, "the refused write left nothing behind");
        journal.Last().Event.Should().BeOfType<AttemptStarted>().Which.Worker.Should().Be("elsewhere");
    }

    private void WriteJournal(string persistenceId, params TrialEvent[] events) => WriteJournal(persistenceId, 1, events);

    private void WriteJournal(string persistenceId, long startAt, params TrialEvent[] events)
    {
        var writer = Sys.ActorOf(Props.Create(() => new JournalWriter(persistenceId, startAt)));
        writer.Tell(events, TestActor);
        ExpectMsg<Done>(TimeSpan.FromSeconds(10));
        Watch(writer);
        writer.Tell(PoisonPill.Instance);
        ExpectTerminated(writer);
    }

    /// <summary>Appends the given events under a persistence id, as another writer would, from sequence <c>startAt</c>.</summary>
    private sealed class JournalWriter : ReceivePersistentActor
    {
        public JournalWriter(string persistenceId, long startAt)
        {
            PersistenceId = persistenceId;
            // Skips recovery: the writer believes the journal ends just before startAt, as a writer with a stale view does.
            Command<TrialEvent[]>(events =>
            {
                var sender = Sender;
                var left = events.Length;
                PersistAll(events, _ =>
                {
                    if (--left == 0) sender.Tell(Done.Instance);
                });
            });
            _startAt = startAt;
        }

        private readonly long _startAt;

        public override string PersistenceId { get; }

        public override Recovery Recovery => new(SnapshotSelectionCriteria.None, toSequenceNr: _startAt - 1);
    }

    private sealed record Done
    {
        public static Done Instance { get; } = new();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _hosted.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _datasets.Dispose();
        _threads.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
