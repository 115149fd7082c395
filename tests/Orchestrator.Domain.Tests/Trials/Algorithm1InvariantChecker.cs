using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Trials;

/// <summary>
/// Checks a decided run against the rules of dynamic fine-tuning (and of fixed-top-n), tracking best loss,
/// patience, m and the learning rate on its own, independently of the decider's state.
/// </summary>
internal static class Algorithm1InvariantChecker
{
    public static void Check(TrialDriver run, IReadOnlyList<double> losses)
    {
        var s = run.Started;
        var dynamic = s.Strategy == Strategy.Dynamic;
        var best = double.PositiveInfinity;
        var bestEpoch = 0;
        var patience = 0;
        var m = s.InitialUnfrozenGroups;
        var lr = s.LearningRate;
        var sinceChange = 0; // epochs since the last improvement or unfreeze
        var stopped = false;

        for (var i = 0; i < run.Epochs.Count; i++)
        {
            var epoch = i + 1;
            var loss = losses[i];
            var events = run.Epochs[i];
            var because = $"epoch {epoch} of {string.Join(", ", losses.Take(run.Epochs.Count))}";
            stopped.Should().BeFalse("nothing is decided after a stop ({0})", because);

            events.Should().OnlyContain(e => EpochOf(e) == epoch, because);
            var ec = events[0].Should().BeOfType<EpochCompleted>().Subject;
            ec.ValLoss.Should().Be(loss, because);
            ec.LearningRate.Should().Be(lr, "the rate in force is reported ({0})", because);
            ec.UnfrozenGroups.Should().Be(m, because);

            var improved = loss < best - s.MinDelta;
            patience = improved ? 0 : patience + 1;
            ec.PatienceCounter.Should().Be(patience, because);
            var at = 1;
            if (improved)
            {
                events[at++].Should().Be(TrialDriver.Best(epoch, loss), because);
                best = loss;
                bestEpoch = epoch;
                sinceChange = 0;
            }
            else sinceChange++;

            var mBefore = m;
            if (dynamic && patience >= s.Patience && m < s.Groups)
            {
                sinceChange.Should().BeGreaterThanOrEqualTo(s.Patience, "an unfreeze needs p epochs without improvement ({0})", because);
                var to = Math.Min(m + s.Step, s.Groups);
                events[at++].Should().Be(new GroupsUnfrozen(epoch, m, to, lr * (1 - s.Decay)), because);
                events[at++].Should().Be(new BestWeightsRestored(epoch, bestEpoch), because);
                m = to;
                lr *= 1 - s.Decay;
                patience = 0;
                sinceChange = 0;
            }
            m.Should().BeInRange(mBefore, s.Groups, because);

            var reason = ExpectedStop(s, dynamic, epoch, patience, mBefore, m);
            if (reason is not null)
            {
                events[at++].Should().Be(new TrainingStopped(epoch, reason.Value), because);
                stopped = true;
            }
            else events[at++].Should().Be(TrialDriver.Checkpoint(epoch), "a resumable checkpoint unless stopped ({0})", because);
            events.Should().HaveCount(at, "no other events ({0})", because);
        }

        if (!stopped) run.Epochs.Should().HaveCount(losses.Count, "a run only ends early by stopping");
        if (dynamic && s.StopPolicy == StopPolicy.PlateauAfterFullUnfreeze)
            run.Epochs.Count.Should().BeLessThanOrEqualTo(s.MaxEpochs);
        if (dynamic && s.StopPolicy == StopPolicy.Algorithm1)
            run.Epochs.Count.Should().BeLessThanOrEqualTo(s.MaxEpochs * s.MaxRounds);
        if (!dynamic) run.Epochs.Count.Should().BeLessThanOrEqualTo(s.MaxEpochs);

        var state = run.State;
        state.Should().Be(TrialEvolution.Replay(run.All), "folding step by step equals replaying");
        state.BestEpoch.Should().Be(bestEpoch);
        state.UnfrozenGroups.Should().Be(m);
        state.LearningRate.Should().Be(lr);
        if (s.MinDelta == 0 && bestEpoch > 0)
        {
            var seen = losses.Take(run.Epochs.Count).ToList();
            bestEpoch.Should().Be(seen.IndexOf(seen.Min()) + 1, "the best is the earliest lowest loss");
        }
        if (stopped)
        {
            state.Phase.Should().Be(TrialPhase.Stopped);
            var act = () => TrialDecider.Decide(state, TrialDriver.Outcome(0));
            act.Should().Throw<InvalidOperationException>();
        }
    }

    private static StopReason? ExpectedStop(TrialStarted s, bool dynamic, int epoch, int patience, int mBefore, int mAfter)
    {
        if (!dynamic)
            return patience >= s.Patience ? StopReason.EarlyStopping : epoch >= s.MaxEpochs ? StopReason.EpochBudget : null;
        if (s.StopPolicy == StopPolicy.PlateauAfterFullUnfreeze)
        {
            // patience was reset by an unfreeze, and an unfreeze only happens while mBefore < L.
            if (mBefore == s.Groups && patience >= s.Patience) return StopReason.PlateauAfterFullUnfreeze;
            return epoch >= s.MaxEpochs ? StopReason.EpochBudget : null;
        }
        if (epoch % s.MaxEpochs != 0) return null;
        if (mAfter == s.Groups) return StopReason.Algorithm1Complete;
        return epoch / s.MaxEpochs == s.MaxRounds ? StopReason.RoundLimit : null;
    }

    private static int EpochOf(TrialEvent e) => e switch
    {
        EpochCompleted x => x.Epoch,
        BestImproved x => x.Epoch,
        GroupsUnfrozen x => x.Epoch,
        BestWeightsRestored x => x.Epoch,
        CheckpointSaved x => x.Epoch,
        TrainingStopped x => x.Epoch,
        _ => -1,
    };
}
