using System.Collections.Immutable;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Tests;

/// <summary>A journal that refuses (rejects, as a plugin does an event it cannot serialize) every write holding
/// an <see cref="EpochCompleted"/> of epoch 2, and stores the rest in memory.</summary>
public sealed class RejectingJournal : MemoryJournal
{
    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var results = new List<Exception?>();
        foreach (var write in messages)
        {
            var events = ((IImmutableList<IPersistentRepresentation>)write.Payload).Select(p => p.Payload);
            if (events.Any(e => e is EpochCompleted { Epoch: 2 }))
            {
                results.Add(new InvalidOperationException("epoch 2 cannot be stored"));
                continue;
            }
            var stored = await base.WriteMessagesAsync([write], cancellationToken);
            results.Add(stored?.FirstOrDefault());
        }
        return results.ToImmutableList();
    }
}

/// <summary>A journal that refuses a trial's write: the attempt ends cleanly (journaled as failed, retried, then the
/// trial fails), and its slot hears of the end, so it takes other work.</summary>
public sealed class PersistRejectionTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private const string Grid = """
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        batchSize: 8
        hyperparameters: { patience: [2], step: [2], decay: [0.1], epochs: [6] }
        """;

    private readonly string _root;
    private readonly TrialSpec _spec;
    private readonly DatasetCache _datasets = new(ManifestDataset.Open);
    private readonly SlotThreads _threads = new("slot-0");

    public PersistRejectionTests() : this(Path.Combine(Path.GetTempPath(), "orch-reject-" + Guid.NewGuid().ToString("N")[..8])) { }

    private PersistRejectionTests(string root) : base(ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.rejecting"
        akka.persistence.journal.rejecting.class = "{{typeof(RejectingJournal).AssemblyQualifiedName}}"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """))
    {
        _root = root;
        ManifestDataset.Write(Path.Combine(root, "data"), 100);
        _spec = Sweeps.SweepPlanner.Plan(SweepFixture.Yaml(root, Grid)).Trials.Single().Spec;
    }

    [Fact]
    public void A_rejected_write_fails_the_attempt_which_is_retried_then_the_trial_fails_and_its_slot_hears_of_it()
    {
        var slot = CreateTestProbe();
        var services = new TrialServices(Path.Combine(_root, "artifacts"), _datasets, (_, _, _) => new ScriptedTrainer(4, e => 1.0 / e),
            NullRunObserver.Instance, MaxAttempts: 2, MinBackoff: TimeSpan.FromMilliseconds(100));
        Sys.ActorOf(TrialActor.Supervised(new TrialAssignment("t-rejected", "sw-test", _spec, "slot-0"), services, _threads, slot));

        var ended = slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(30), "a refused write must not leave the slot busy for ever");

        ended.Exit.Should().Be(TrialExit.Ended(TrialEnd.Failed));
        ended.State.FailedAttempts.Should().Be(2);
        ended.State.FailureReason.Should().Contain("epoch 2 cannot be stored");
        ended.State.EpochsDone.Should().Be(1, "the refused epoch is not in the journal");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _datasets.Dispose();
        _threads.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
