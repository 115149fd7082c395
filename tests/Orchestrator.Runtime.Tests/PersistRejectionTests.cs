using Orchestrator.TestEngine;
using System.Collections.Immutable;
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
public sealed class PersistRejectionTests : JournalFaultTestKit<RejectingJournal>
{
    [Fact]
    public void A_rejected_write_fails_the_attempt_which_is_retried_then_the_trial_fails_and_its_slot_hears_of_it()
    {
        var slot = CreateTestProbe();
        var services = new TrialServices(Path.Combine(Root, "artifacts"), Datasets, (_, _, _) => new FakeTrainer(4, e => 1.0 / e),
            NullRunObserver.Instance, MaxAttempts: 2, MinBackoff: TimeSpan.FromMilliseconds(100));
        Sys.ActorOf(TrialActor.Supervised(new TrialAssignment(new TrialId("t-rejected"), new SweepId("sw-test"), Spec, "slot-0"), services, Threads, slot));

        var ended = slot.ExpectMsg<TrialEnded>(TimeSpan.FromSeconds(30), "a refused write must not leave the slot busy for ever");

        ended.Exit.Should().Be(TrialExit.Ended(TrialEnd.Failed));
        ended.State.FailedAttempts.Should().Be(2);
        ended.State.FailureReason.Should().Contain("epoch 2 cannot be stored");
        ended.State.EpochsDone.Should().Be(1, "the refused epoch is not in the journal");
    }
}
