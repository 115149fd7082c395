using System.Diagnostics;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Runtime.Trials;

/// <summary>What an epoch's effects saved, and which of those files the commit still has to write.</summary>
internal sealed record PerformedEffects(EffectResults Results, IReadOnlyList<CheckpointWrite> Writes);

/// <summary>An epoch trained, decided and performed on the trial's thread: the events that journal it, the files they
/// name that the commit writes, and the commit the actor completes once the events are journaled and the superseded
/// files pruned (or fails, when the files could not be written or made durable or the events were not journaled).
/// <c>Started</c>: when its training began (a <see cref="Stopwatch"/> timestamp).</summary>
internal sealed record EpochPerformed(IReadOnlyList<TrialEvent> Events, IReadOnlyList<CheckpointWrite> Writes, TaskCompletionSource Committed, long Started);

/// <summary>The epochs ended at a boundary the actor asked for (a stop), or training ended in a terminal state (an
/// epoch diverged: nothing is evaluated).</summary>
internal sealed record EpochsPaused;

/// <summary>Training stopped and the test evaluation ran: the event that ends the trial.</summary>
internal sealed record Evaluated(TrialEvent Result);

/// <summary>
/// Runs a trial's epochs back to back on its own thread: trains, decides with the pure domain decider, performs the
/// decision's effects and hands the epoch's events to the actor to journal, then goes straight on with the next
/// epoch, and with the test evaluation once training stops. Each round trip to the actor between training and
/// effects was a wake-up of another thread; on a busy box these cost milliseconds an epoch.
/// The orders that matter: an epoch's files are written only after the previous epoch's commit has ended, because that
/// commit prunes the folder by what is journaled; and the test evaluation loads the best weights from their file, so
/// the files of the epoch that stops training are written here, on this thread, rather than by the commit (waiting
/// for the commit thread to write them cost more).
/// After a pause of the whole process (<see cref="PauseWatch"/>) the loop goes no further: no new epoch, no files, no
/// evaluation; the epoch under way is cancelled.
/// </summary>
internal sealed class EpochLoop(TrialWorkbench bench, int attempt, PauseWatch? pauses, Action<EpochPerformed> performed)
{
    /// <summary>Trains from <paramref name="state"/> (the planned state: journaled, or being journaled) until training
    /// stops, <paramref name="epochLimit"/> epochs are done (its rung's; 0: none) or <paramref name="boundary"/> asks for a
    /// stop between epochs. No epoch trains and no file is written before
    /// <paramref name="fenced"/> (the attempt journaled) has completed: until then a newer attempt elsewhere may hold
    /// the trial (a node thawed after a freeze starts the trial it held, which the cluster gave away meanwhile), and
    /// two attempts must never train one trial at once. The model is prepared while that write is under way.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/>: the epoch under way is dropped.</exception>
    /// <exception cref="InvalidOperationException">The decider refused to go on from this state.</exception>
    public object Run(TrialState state, Task fenced, CancellationToken boundary, CancellationToken ct, int epochLimit = 0)
    {
        var since = Stopwatch.GetTimestamp();
        fenced.Wait(ct);
        var lastCommit = fenced;
        while (state.Phase == TrialPhase.Training && !boundary.IsCancellationRequested && (epochLimit == 0 || state.EpochsDone < epochLimit))
        {
            var started = Stopwatch.GetTimestamp();
            ThrowIfPaused(since);
            var outcome = Unpaused(token => bench.TrainEpoch(state, token), ct);
            var decision = TrialDecider.Decide(state, outcome) with { Attempt = attempt };
            lastCommit.Wait(ct);
            ct.ThrowIfCancellationRequested();
            ThrowIfPaused(started);
            var effects = bench.Perform(decision, writeNow: decision.Stops);
            var events = EpochEvents.Record(decision, effects.Results).Select(e => e.InAttempt(attempt)).ToList();
            state = events.Aggregate(state, TrialEvolution.Evolve);
            var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lastCommit = committed.Task;
            performed(new EpochPerformed(events, effects.Writes, committed, started));
            since = started;
        }
        if (state.Phase != TrialPhase.Stopped || boundary.IsCancellationRequested) return new EpochsPaused();
        ThrowIfPaused(since);
        var result = Unpaused(token => bench.Evaluate(state, token), ct);
        if (result is not TrialCompleted completed) return new Evaluated(result);
        // The test outputs' file is the attempt's to write only once the attempt is journaled (a resumed trial that had
        // stopped training evaluates at once, with no epoch commit to wait for).
        fenced.Wait(ct);
        ThrowIfPaused(since);
        return new Evaluated(bench.StoreTestOutputs(completed, attempt, ct));
    }

    private void ThrowIfPaused(long since)
    {
        if (pauses?.PausedSince(since) == true) throw Paused();
    }

    /// <summary>Runs engine work that the next pause cancels.</summary>
    private T Unpaused<T>(Func<CancellationToken, T> work, CancellationToken ct)
    {
        if (pauses is null) return work(ct);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, pauses.NextPause);
        try
        {
            return work(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Paused();
        }
    }

    private NodePausedException Paused() =>
        new($"this process stood still for more than {pauses!.Limit.TotalSeconds:0.#} s: the cluster may have given the trial to another node");
}
