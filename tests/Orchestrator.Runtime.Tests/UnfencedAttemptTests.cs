using Orchestrator.TestEngine;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
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
public sealed class UnfencedAttemptTests : JournalFaultTestKit<TakenAttemptJournal>
{
    [Fact]
    public void An_attempt_whose_start_the_journal_refuses_trains_no_epoch()
    {
        var trained = new ConcurrentQueue<int>();
        var slot = CreateTestProbe();
        var services = new TrialServices(Path.Combine(Root, "artifacts"), Datasets,
            (_, _, _) => new FakeTrainer(4, e => 1.0 / e) { OnTrainEpoch = trained.Enqueue }, NullRunObserver.Instance);
        var trial = Sys.ActorOf(TrialActor.Supervised(new TrialAssignment(new TrialId("t-taken"), new SweepId("sw-test"), Spec, "slot-0"), services, Threads, slot));
        Watch(trial);

        ExpectTerminated(trial, TimeSpan.FromSeconds(30));

        trained.Should().BeEmpty("the attempt was never journaled: another attempt may be training the trial");
    }
}
