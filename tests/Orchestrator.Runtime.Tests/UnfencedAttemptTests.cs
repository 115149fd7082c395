using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Tests;

/// <summary>A journal whose write of an <see cref="AttemptStarted"/> takes 1.5 s and then fails, as the unique key fails
/// it when a newer attempt elsewhere took the sequence number first; other writes are stored in memory.</summary>
public sealed class TakenAttemptJournal : MemoryJournal
{
    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages.ToList();
        if (writes.Any(w => ((IImmutableList<IPersistentRepresentation>)w.Payload).Any(p => p.Payload is AttemptStarted)))
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
            throw new InvalidOperationException("duplicate key value violates unique constraint \"journal_uq\"");
        }
        return await base.WriteMessagesAsync(writes, cancellationToken);
    }
}

/// <summary>Issue 23, nemesis seed 2612 (30 rounds, 2026-12-05): a node thawed after a freeze started the next trial it
/// held while its attempt was being journaled; another node had that trial by then, and for 29 ms two attempts
/// trained it. An attempt trains only once its <see cref="AttemptStarted"/> is journaled.</summary>
public sealed class UnfencedAttemptTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private const string Grid = """
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        batchSize: 8
        hyperparameters: { patience: [2], step: [2], decay: [0.1], epochs: [4] }
        """;

    private readonly string _root;
    private readonly TrialSpec _spec;
    private readonly DatasetCache _datasets = new(ManifestDataset.Open);
    private readonly SlotThreads _threads = new("slot-0");

    public UnfencedAttemptTests() : this(Path.Combine(Path.GetTempPath(), "orch-unfenced-" + Guid.NewGuid().ToString("N")[..8])) { }

    private UnfencedAttemptTests(string root) : base(ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.taken"
        akka.persistence.journal.taken.class = "{{typeof(TakenAttemptJournal).AssemblyQualifiedName}}"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """))
    {
        _root = root;
        ManifestDataset.Write(Path.Combine(root, "data"), 100);
        _spec = Sweeps.SweepPlanner.Plan(SweepFixture.Yaml(root, Grid)).Trials.Single().Spec;
    }

    [Fact]
    public void An_attempt_whose_start_the_journal_refuses_trains_no_epoch()
    {
        var trained = new ConcurrentQueue<int>();
        var slot = CreateTestProbe();
        var services = new TrialServices(Path.Combine(_root, "artifacts"), _datasets,
            (_, _, _) => new ScriptedTrainer(4, e => 1.0 / e) { OnTrainEpoch = trained.Enqueue }, NullRunObserver.Instance);
        var trial = Sys.ActorOf(TrialActor.Supervised(new TrialAssignment("t-taken", "sw-test", _spec, "slot-0"), services, _threads, slot));
        Watch(trial);

        ExpectTerminated(trial, TimeSpan.FromSeconds(30));

        trained.Should().BeEmpty("the attempt was never journaled: another attempt may be training the trial");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _datasets.Dispose();
        _threads.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
