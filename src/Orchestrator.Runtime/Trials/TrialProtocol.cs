using System.Text.Json.Serialization;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Wire;

namespace Orchestrator.Runtime.Trials;

/// <summary>A trial handed to a slot: what to run, and the slot's name for progress lines. <c>Rung</c>: how far a trial
/// on its cell's ladder may train, or that it was pruned (null: to its own end). A trial with a closed
/// <c>Gate</c> (its slot's next one, given while the current one finishes) recovers its journal and leaves its start
/// with the gate, which queues it on the engine thread once it opens.</summary>
public sealed record TrialAssignment(TrialId TrialId, SweepId SweepId, TrialSpec Spec, string Slot, StartGate? Gate = null, RungOrder? Rung = null)
{
    /// <summary>The epochs it may train in this assignment: its rung's, or 0 for no limit.</summary>
    public int EpochLimit => Rung is { Pruned: false } rung ? rung.EpochLimit : 0;
}

/// <summary>
/// Opened once, when the slot's held trial may start: on the engine thread as soon as the running trial's test
/// evaluation has run (<see cref="SlotThreads.EngineFree"/>), or by the slot (the running trial has ended, or said
/// it is done with the engine). The start it holds then runs on the opener's thread; it only queues the trial's work
/// on the engine thread, which so goes straight on from one trial to the next. A latch rather than a message: an
/// incarnation the backoff supervisor starts later (after a failed attempt) must not wait for a message sent to an
/// earlier one.
/// </summary>
public sealed class StartGate
{
    private readonly Lock _lock = new();
    private bool _open;
    private Action? _start;

    public bool IsOpen
    {
        get
        {
            lock (_lock) return _open;
        }
    }

    /// <summary>Runs <paramref name="start"/> once the gate opens, at once when it is open. It replaces a start left
    /// by an earlier incarnation.</summary>
    public void WhenOpen(Action start)
    {
        lock (_lock)
        {
            if (!_open)
            {
                _start = start;
                return;
            }
        }
        start();
    }

    /// <summary>Takes back the start left here (the trial stopped at the gate).</summary>
    public void Withdraw()
    {
        lock (_lock) _start = null;
    }

    public void Open()
    {
        Action? start;
        lock (_lock)
        {
            if (_open) return;
            _open = true;
            (start, _start) = (_start, null);
        }
        start?.Invoke();
    }
}

/// <summary>The trial's last step has begun (its last possible epoch, or the test evaluation): its slot may ask for
/// the next trial now, so that the hand-over overlaps this step.</summary>
public sealed record TrialFinishing(TrialId TrialId);

/// <summary>The trial's engine work is over (the test evaluation has run): its slot may start the next trial on the
/// engine while this one journals its result.</summary>
public sealed record TrialEngineDone(TrialId TrialId);

/// <summary>Why a trial stops. <c>NodeDowned</c> (the node is being downed) and <c>NodePaused</c> (the process stood still
/// long enough to have been downed) drop the commit under way too: the node may no longer hold the trial.</summary>
public enum StopCause { SweepCancelled, AssignmentLost, Shutdown, NodeDowned, NodePaused }

/// <summary>Stop at the epoch boundary, keeping what is journaled and its checkpoints: a cancelled sweep's trial
/// finishes the epoch under way first; on a shutdown or a lost assignment that epoch is dropped.
/// <c>TrialId</c> names the trial when its slot may hold two (the running one and the next); null: the running one.</summary>
public sealed record StopTrial(StopCause Cause, TrialId? TrialId = null) : IWireMessage
{
    /// <summary>How a trial that this stops leaves its slot: cancelled with its sweep, otherwise interrupted.</summary>
    public TrialExit Exit => Cause == StopCause.SweepCancelled ? TrialExit.Ended(TrialEnd.Cancelled) : TrialExit.Interrupted;

    /// <summary>Whether the commit under way is dropped rather than journaled.</summary>
    public bool Abandons => Cause is StopCause.NodeDowned or StopCause.NodePaused;
}

/// <summary>How a trial left its slot: with the end it reached, or interrupted (<c>End</c> null: stopped before its end,
/// its journal kept, to be queued again), or <c>AtRung</c>: it trained its rung's epochs and waits for its cell's
/// decision. <c>Epochs</c> and <c>BestValLoss</c>: its journal's epochs and lowest validation loss when it left (the
/// result its ladder ranks).</summary>
public sealed record TrialExit(TrialEnd? End,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool AtRung = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Epochs = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? BestValLoss = null)
{
    public static TrialExit Interrupted { get; } = new((TrialEnd?)null);

    public static TrialExit Ended(TrialEnd end) => new(end);

    public static TrialExit ReachedRung { get; } = new(null, AtRung: true);
}

/// <summary>The trial actor's last word to its slot before it stops.</summary>
public sealed record TrialEnded(TrialId TrialId, TrialExit Exit, TrialState State);

/// <summary>Asks a running trial where it stands; answered with <see cref="TrialStatusReport"/> even mid-epoch.</summary>
public sealed record GetTrialStatus;

/// <summary><c>Journaled</c> is the state its journal holds; <c>Planned</c> includes the epoch being committed;
/// <c>TrainingEpoch</c> is the epoch the engine works on now (0: none).</summary>
public sealed record TrialStatusReport(TrialId TrialId, int Attempt, TrialState Journaled, TrialState Planned, int TrainingEpoch);

/// <summary>An attempt broke; the supervisor restarts the trial with backoff, which then resumes from its journal.</summary>
public sealed class TrialAttemptException(string message, Exception inner) : Exception(message, inner);
