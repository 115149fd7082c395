using Akka.Actor;
using Akka.Pattern;
using Akka.Persistence;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Persistence;

namespace Orchestrator.Runtime.Trials;

/// <summary>
/// One trial as an event-sourced actor. Recovery folds its journal with the domain's <see cref="TrialEvolution.Evolve"/>;
/// a trial its slot holds as the next one then leaves its start at its <see cref="StartGate"/>, which queues it on the
/// engine thread once the current one is done with the engine. When its work begins there, it journals
/// <see cref="AttemptStarted"/> while the engine prepares the model, then the <see cref="EpochLoop"/> runs
/// the epochs on the slot's engine thread (train, decide, perform) and hands each epoch's events here: the actor makes
/// the files they name durable on the slot's commit thread, journals the events and prunes superseded files, while the
/// loop trains on. When training has stopped, or its last possible epoch begins, the actor tells its slot, which asks
/// for the next trial meanwhile. The test result goes into the same write as the last epoch's events when it is there
/// in time.
/// <para>Its mode is its behaviour. While its journal replays, Akka holds every command. Then:
/// <see cref="AtGate"/> (a held next trial, its work left with its gate) →
/// <see cref="Running"/> (the engine works; no epoch is being committed) ⇄
/// <see cref="Committing"/> (the engine trains on while an epoch's files are made durable, then its events journaled) →
/// <see cref="Finishing"/> (the engine is done; the last epoch is being committed with the test result in its write)
/// or <see cref="Ending"/> (the engine is done, nothing is committing: the event that ends the trial or fails the
/// attempt is being journaled) → <see cref="Ended"/>. While events are being journaled Akka holds commands too, so
/// a commit's write is never interrupted. A stop is not a mode: every mode takes it at once (it cancels what it
/// must: the boundary, the epoch under way, or, for a node that may no longer hold the trial, the commit too), and it
/// ends the trial once the engine's work and the commit under way are over. What the engine says while a commit is
/// under way (it paused, it failed) waits in the stash until the commit has ended, except the test result, which
/// joins the commit's write.</para>
/// </summary>
public sealed class TrialActor : ReceivePersistentActor
{
    private readonly TrialAssignment _assignment;
    private readonly TrialServices _services;
    private readonly IActorRef _slot;
    private readonly List<CheckpointSaved> _checkpoints = [];
    // _work drops the epoch under way (a shutdown, a lost assignment); _boundary stops between epochs (a cancel).
    private readonly CancellationTokenSource _work = new();
    private readonly CancellationTokenSource _boundary = new();
    // Cancelled when this node may no longer hold the trial (downed, or it stood still): commits not yet journaled drop.
    private readonly CancellationTokenSource _abandon = new();
    private TrialState _state = TrialState.Initial;
    private TrialState _planned = TrialState.Initial;
    // The slot's threads: the engine's work, in order; and the commits' blocking I/O (flushes, prunes), in order.
    private readonly SlotThreads _threads;
    private readonly TrialArtifacts _artifacts;
    // Created, used and disposed only on the engine thread: every access is inside work handed to _threads.Engine.
    private TrialWorkbench? _bench;
    private int _attempt;
    // Completed once AttemptStarted is journaled: this attempt has fenced off older ones, and may write files.
    private readonly TaskCompletionSource _fenced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // When the slot gave it this trial: a process that stood still since then may have lost the assignment meanwhile
    // (a held trial, started by a node thawed after it was downed), and starts nothing.
    private readonly long _assignedAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private int _trainingEpoch;
    private StopTrial? _stop;
    // Once per trial, whichever epoch first finds its last step begun.
    private bool _saidFinishing;
    // The epoch whose events are with the journal now, and the mode a refusal of that write leaves the actor in.
    private (EpochPerformed Epoch, Action Refused)? _journaling;
    // The journal has refused a write of this attempt: it reports each event of that write, the attempt fails once.
    private bool _refused;

    public TrialActor(TrialAssignment assignment, TrialServices services, SlotThreads threads, IActorRef slot)
    {
        _assignment = assignment;
        _services = services;
        _slot = slot;
        _artifacts = new TrialArtifacts(services.ArtifactRoot, assignment.TrialId.Value, services.Blobs);
        _threads = threads;

        Recover<TrialEvent>(Apply);
        Recover<RecoveryCompleted>(_ => Begin());
    }

    public override string PersistenceId => JournalSettings.PersistenceIdOf(_assignment.TrialId.Value);

    /// <summary>A trial never saves snapshots: its recovery asks the snapshot store nothing.</summary>
    public override Recovery Recovery { get; } = new(SnapshotSelectionCriteria.None);

    private IRunObserver Observer => _services.Observer;

    /// <summary>The trial actor under a backoff supervisor: an attempt that throws is restarted after a growing pause,
    /// and resumes from its journal; its restarts are bounded by the journaled attempt count, not by the supervisor.</summary>
    public static Props Supervised(TrialAssignment assignment, TrialServices services, SlotThreads threads, IActorRef slot) =>
        BackoffSupervisor.Props(Akka.Pattern.Backoff.OnFailure(
                Props.Create(() => new TrialActor(assignment, services, threads, slot)),
                "trial", services.RetryBackoff, services.RetryBackoff * 30, 0.2, services.MaxAttempts + 1)
            // Not logged by Akka: the attempt's failure is journaled and reported by the observer in one line.
            .WithSupervisorStrategy(new OneForOneStrategy(-1, -1,
                ex => ex is TrialAttemptException ? Directive.Restart : Directive.Stop, loggingEnabled: false)));

    /// <summary>The slot's held next trial: its work waits at its gate. A stop ends it here, taking its start back.</summary>
    private void AtGate()
    {
        Command<Began>(_ =>
        {
            Become(Running);
            OnBegan();
        });
        Command<WorkFailed>(failed => FailAttempt(failed.Cause));
        Command<StopTrial>(stop =>
        {
            TakeStop(stop);
            _assignment.Gate?.Withdraw();
            // Its work may have been queued just now, as the gate opened: it is cancelled.
            _work.Cancel();
            Exit(stop.Exit);
        });
        AnswerStatus();
    }

    /// <summary>The engine works (prepares, trains, evaluates) and no epoch is being committed.</summary>
    private void Running()
    {
        Command<Began>(_ => OnBegan());
        Command<Prepared>(OnPrepared);
        Command<EpochPerformed>(OnEpochPerformed);
        Command<EpochsPaused>(_ =>
        {
            _trainingEpoch = 0;
            EndWhenIdle();
        });
        Command<Evaluated>(evaluated =>
        {
            EngineDone();
            Become(Ending);
            JournalEvent(evaluated.Result, EndAsJournaled);
        });
        Command<WorkFailed>(failed => FailAttempt(failed.Cause));
        Command<StopTrial>(TakeStop);
        AnswerStatus();
    }

    /// <summary>The engine trains on while the epoch it performed last is committed: its files made durable, then its
    /// events journaled (the loop writes the next epoch's files only once this commit has ended). The epoch being
    /// committed is kept whatever happens to the next one: the engine's other ends wait for the commit's.</summary>
    private void Committing()
    {
        Command<Secured>(secured => JournalSecured(secured, result: null));
        Command<CommitFailed>(OnCommitFailed);
        Command<Evaluated>(evaluated =>
        {
            EngineDone();
            // It goes into the same write as the epoch's events: one append ends the trial.
            var result = evaluated.Result.InAttempt(_attempt);
            _planned = TrialEvolution.Evolve(_planned, result);
            Become(() => Finishing(result));
        });
        Command<EpochsPaused>(_ => Stash.Stash());
        Command<WorkFailed>(failed =>
        {
            if (failed.Cause is NodePausedException) Suspend();
            Stash.Stash();
        });
        // Not sent before this commit has ended (the loop waits for it); should one come, it is committed next.
        Command<EpochPerformed>(_ => Stash.Stash());
        Command<StopTrial>(TakeStop);
        AnswerStatus();
    }

    /// <summary>The engine is done: the last epoch is being committed, with the test result that came meanwhile.</summary>
    private void Finishing(TrialEvent result)
    {
        Command<Secured>(secured => JournalSecured(secured, result));
        Command<CommitFailed>(OnCommitFailed);
        Command<StopTrial>(TakeStop);
        AnswerStatus();
    }

    /// <summary>The engine is done and nothing is committing: the event that ends the trial or fails the attempt is
    /// being journaled, or the failure of a write the journal refused is on its way here.</summary>
    private void Ending()
    {
        Command<WorkFailed>(failed => FailAttempt(failed.Cause));
        Command<StopTrial>(TakeStop);
        AnswerStatus();
    }

    /// <summary>Its slot has been told how it ended; it is stopping.</summary>
    private void Ended() => AnswerStatus();

    private void AnswerStatus() =>
        Command<GetTrialStatus>(_ => Sender.Tell(new TrialStatusReport(_assignment.TrialId, _attempt, _state, _planned, _trainingEpoch)));

    /// <summary>An event replayed on recovery: journaled and planned alike.</summary>
    private void Apply(TrialEvent e)
    {
        Journaled(e);
        _planned = _state;
    }

    /// <summary>An event this attempt has journaled. The planned state is ahead of it already, possibly by an epoch
    /// performed meanwhile.</summary>
    private void Journaled(TrialEvent e)
    {
        if (e is CheckpointSaved saved && !TrialEvolution.IsSuperseded(_state, e)) _checkpoints.Add(saved);
        _state = TrialEvolution.Evolve(_state, e);
    }

    /// <summary>Journals one event the planned state gets at once; <paramref name="then"/> runs once it is stored.</summary>
    private void JournalEvent(TrialEvent e, Action? then = null)
    {
        e = e.InAttempt(_attempt);
        _planned = TrialEvolution.Evolve(_planned, e);
        Persist(e, journaled =>
        {
            Journaled(journaled);
            then?.Invoke();
        });
    }

    /// <summary>After recovery: a trial that has ended, or has failed too often, ends at once; otherwise its work is
    /// queued on the engine thread now, or, for a held trial, by its gate when the slot's engine is free.</summary>
    private void Begin()
    {
        if (_state.IsTerminal)
        {
            Observer.TrialClaimed(_assignment.Slot, _assignment.TrialId, _assignment.Spec, _state);
            EndAsJournaled();
            return;
        }
        _attempt = _state.Attempt;
        if (_state.FailedAttempts >= _services.MaxAttempts)
        {
            Become(Ending);
            JournalEvent(new TrialFailed($"{_state.FailureReason} ({_state.FailedAttempts} attempts failed)"), () => Exit(TrialExit.Ended(TrialEnd.Failed)));
            return;
        }
        // Its cell's successive halving pruned it where it waited: it only journals that, after its last epoch.
        if (_assignment.Rung is { Pruned: true } pruned)
        {
            Become(Ending);
            JournalEvent(new TrialPruned(_state.EpochsDone, pruned.Rung, _state.BestValLoss, pruned.Better), EndAsJournaled);
            return;
        }
        // Resumed at its rung already (a report of it lost with a coordinator): it says so again, with nothing to train.
        if (AtEpochLimit(_state))
        {
            Exit(TrialExit.ReachedRung);
            return;
        }
        _attempt = _state.Attempt + 1;
        // The model is prepared while the attempt is journaled: the loop trains no epoch and writes no file before
        // that write has fenced off older attempts (preparing writes nothing the journal names).
        var state = _planned;
        var checkpoints = _checkpoints.ToList();
        var (self, attempt, boundary, token, pauses, assignedAt) = (Self, _attempt, _boundary.Token, _work.Token, _services.Pauses, _assignedAt);
        _trainingEpoch = state.Phase is TrialPhase.NotStarted or TrialPhase.Training ? state.EpochsDone + 1 : 0;
        void Start() => _threads.Engine.Run<object>(() =>
            {
                token.ThrowIfCancellationRequested();
                // Checked before the attempt is journaled: a stale attempt must not even take a sequence number.
                if (pauses?.PausedAround(assignedAt) == true)
                    throw new NodePausedException("this process stood still around the trial's assignment: the cluster may have given it to another node");
                self.Tell(new Began());
                _bench = new TrialWorkbench(_assignment.Slot, _assignment.TrialId, _assignment.Spec, _services, _artifacts);
                var started = _bench.Prepare(state, checkpoints, token);
                self.Tell(new Prepared(started));
                var planned = started is null ? state : TrialEvolution.Evolve(state, started);
                var result = new EpochLoop(_bench, attempt, _services.Pauses, performed => self.Tell(performed))
                    .Run(planned, _fenced.Task, boundary, token, _assignment.EpochLimit);
                // Done with the engine: the slot's held trial is queued behind this work before the thread looks for more.
                if (result is Evaluated) _threads.EngineFree();
                return result;
            })
            .PipeTo(self, failure: ex => new WorkFailed(ex));
        if (_assignment.Gate is not { } gate)
        {
            Become(Running);
            Start();
            return;
        }
        if (gate.IsOpen) Become(Running);
        else Become(AtGate);
        gate.WhenOpen(Start);
    }

    /// <summary>The trial's work has begun on the engine thread: its attempt is journaled meanwhile.</summary>
    private void OnBegan()
    {
        Observer.TrialClaimed(_assignment.Slot, _assignment.TrialId, _assignment.Spec, _state);
        JournalEvent(new AttemptStarted(_assignment.Slot), () => _fenced.TrySetResult());
    }

    /// <summary>The model is ready and its epochs run: a trial that had not started journals its start (before the
    /// first epoch's events).</summary>
    private void OnPrepared(Prepared prepared)
    {
        if (prepared.Started is { } started) JournalEvent(started);
        if (LastStepBegun) SayFinishing();
    }

    /// <summary>The engine's work has ended and nothing is committing: the trial ends as the stop asked, or as its
    /// journal says. (The loop pauses only at a stop's boundary or in a terminal state.)</summary>
    private void EndWhenIdle()
    {
        if (_stop is not null) Exit(_stop.Exit);
        else if (_planned.IsTerminal) EndAsJournaled();
        else if (AtEpochLimit(_planned)) Exit(TrialExit.ReachedRung);
        else Become(Ending);
    }

    /// <summary>The trial trains on and has trained the epochs its rung allows.</summary>
    private bool AtEpochLimit(TrialState state) =>
        _assignment.EpochLimit > 0 && state.Phase is TrialPhase.NotStarted or TrialPhase.Training && state.EpochsDone >= _assignment.EpochLimit;

    /// <summary>Training has stopped (the test evaluation and the last commit are left) or diverged (the last commit is
    /// left), or its last possible epoch (or its rung's last) is under way.</summary>
    private bool LastStepBegun => _planned.Phase is TrialPhase.Stopped or TrialPhase.Diverged
                                  || (_trainingEpoch > 0 && _trainingEpoch >= LastEpoch);

    private int LastEpoch => _assignment.EpochLimit > 0 ? Math.Min(_assignment.EpochLimit, _planned.MaxEpochs) : _planned.MaxEpochs;

    /// <summary>Once per trial, when its last step has begun: its slot may ask for the next trial meanwhile, which
    /// recovers its journal and waits at its gate.</summary>
    private void SayFinishing()
    {
        if (_saidFinishing) return;
        _saidFinishing = true;
        _slot.Tell(new TrialFinishing(_assignment.TrialId));
    }

    /// <summary>The test evaluation has run: the slot may start its next trial on the engine (told once: no mode
    /// that takes a test result comes back).</summary>
    private void EngineDone()
    {
        _slot.Tell(new TrialEngineDone(_assignment.TrialId));
        _trainingEpoch = 0;
    }

    /// <summary>An epoch the loop performed: its files are made durable off the actor thread, then its events are
    /// journaled, while the loop trains the next epoch.</summary>
    private void OnEpochPerformed(EpochPerformed performed)
    {
        if (Interrupted)
        {
            // Dropped at once, as the stop asked: nothing of this epoch is written or journaled (files the engine wrote
            // itself are orphans, pruned later).
            performed.Committed.TrySetCanceled();
            return;
        }
        _planned = performed.Events.Aggregate(_planned, TrialEvolution.Evolve);
        _trainingEpoch = _planned.Phase == TrialPhase.Training && _stop is null ? _planned.EpochsDone + 1 : 0;
        if (LastStepBegun) SayFinishing();
        Become(Committing);
        var (artifacts, abandon) = (_artifacts, _abandon.Token);
        _threads.Commits.Run(() =>
            {
                abandon.ThrowIfCancellationRequested();
                artifacts.Write(performed.Writes);
                artifacts.SecureAsync(performed.Events, abandon).GetAwaiter().GetResult();
                return new Secured(performed);
            })
            .PipeTo(Self, failure: ex => new CommitFailed(performed, ex));
    }

    /// <summary>The epoch's files are durable: its events are journaled, with the test result when there is one
    /// (<see cref="Finishing"/>); then the mode goes on as the engine stands: running, or ended.</summary>
    private void JournalSecured(Secured secured, TrialEvent? result)
    {
        if (_services.Pauses?.PausedSince(secured.Epoch.Started) == true) Suspend();
        if (_abandon.IsCancellationRequested)
        {
            // Never journaled: this node may no longer hold the trial. Its files are orphans of this attempt.
            secured.Epoch.Committed.TrySetCanceled();
            Stash.UnstashAll();
            if (result is null) Become(Running);
            else EndWhenIdle();
            return;
        }
        var epochEvents = secured.Epoch.Events;
        IReadOnlyList<TrialEvent> events = result is null ? epochEvents : [.. epochEvents, result];
        var left = events.Count;
        _journaling = (secured.Epoch, result is null ? Running : Ending);
        PersistAll(events, e =>
        {
            Journaled(e);
            if (--left > 0) return;
            _journaling = null;
            Observer.EventsJournaled(_assignment.Slot, _assignment.TrialId, events);
            var keep = new[] { _state.LatestCheckpoint, _checkpoints.Count > 1 ? _checkpoints[^2].Checkpoint : null, _state.BestCheckpoint };
            var (artifacts, attempt) = (_artifacts, _attempt);
            var (committed, observer, id) = (secured.Epoch.Committed, Observer, _assignment.TrialId);
            // The loop writes the next epoch's files only once this prune has ended. A prune that fails leaves old
            // files behind, nothing more: the commit is complete.
            _threads.Commits.Run(() =>
            {
                try
                {
                    artifacts.PruneAsync(keep, attempt, CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
                {
                    observer.Note($"{id}: could not delete superseded checkpoints ({ex.Message}); they stay on disk");
                }
                finally
                {
                    committed.TrySetResult();
                }
                return 0;
            });
            Stash.UnstashAll();
            if (result is null) Become(Running);
            else EndAsJournaled();
        });
    }

    /// <summary>The epoch's files could not be made durable: it is never journaled, and the attempt fails.</summary>
    private void OnCommitFailed(CommitFailed failed)
    {
        failed.Epoch.Committed.TrySetException(failed.Cause);
        Stash.UnstashAll();
        FailAttempt(failed.Cause);
    }

    /// <summary>The attempt's work broke (or its commit, or a write the journal refused): it is journaled as failed
    /// and the supervisor retries it, unless a stop asked for the trial meanwhile, which it then obeys.</summary>
    private void FailAttempt(Exception cause)
    {
        if (cause is NodePausedException) Suspend();
        _trainingEpoch = 0;
        Become(Ending);
        if (_stop is not null)
        {
            Exit(_stop.Exit);
            return;
        }
        var reason = $"{cause.GetType().Name}: {cause.Message}";
        JournalEvent(new AttemptFailed(_attempt, reason), () =>
        {
            Observer.Note(_state.FailedAttempts < _services.MaxAttempts
                ? $"{_assignment.TrialId}: attempt failed ({_state.FailedAttempts} of {_services.MaxAttempts}): {reason}; it will be retried"
                : $"{_assignment.TrialId}: attempt failed ({_state.FailedAttempts} of {_services.MaxAttempts}): {reason}");
            throw new TrialAttemptException(reason, cause);
        });
    }

    /// <summary>A cancelled sweep lets the epoch under way finish and be journaled, then stops; a shutdown or a lost
    /// lease drops that epoch at once (nothing of it is journaled); a node that may no longer hold the trial drops the
    /// commit under way too. The trial ends once the engine's work and the commit under way are over.</summary>
    private void TakeStop(StopTrial stop)
    {
        if (_stop is null || stop.Cause != StopCause.SweepCancelled) _stop = stop;
        _boundary.Cancel();
        if (Interrupted) _work.Cancel();
        if (stop.Abandons) _abandon.Cancel();
    }

    private bool Interrupted => _stop is { Cause: not StopCause.SweepCancelled };

    /// <summary>The process stood still long enough to have been downed: the trial stops at once and hands itself back.</summary>
    private void Suspend()
    {
        if (_stop?.Abandons == true) return;
        Observer.Note($"{_assignment.TrialId}: this process stood still for longer than the cluster waits; attempt {_attempt} stops unjournaled and is handed back");
        TakeStop(new StopTrial(StopCause.NodePaused));
    }

    /// <summary>Ends as the journal says the trial ended: completed, diverged, or failed.</summary>
    private void EndAsJournaled() => Exit(TrialExit.Ended(_state.End ?? TrialEnd.Failed));

    private void Exit(TrialExit exit)
    {
        Become(Ended);
        _trainingEpoch = 0;
        // A trial on its cell's ladder says what it journaled: the result the ladder ranks it by.
        if (_assignment.Rung is not null) exit = exit with { Epochs = _state.EpochsDone, BestValLoss = _state.BestValLoss };
        _slot.Tell(new TrialEnded(_assignment.TrialId, exit, _state));
        // Retention: after its last commit, on the same thread, a completed or diverged trial drops its resumable checkpoints.
        if (exit.End?.IsResult() == true)
        {
            var (artifacts, completed, observer) = (_artifacts, _state, Observer);
            _threads.Commits.Run(() => artifacts.RetainCompleted(completed, observer));
        }
        Context.Stop(Self);
    }

    /// <summary>A write the journal refused: most likely another writer took this sequence number (a newer attempt
    /// elsewhere). This writer stops for good; its slot hands the trial back.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        Observer.Note($"{_assignment.TrialId}: journal write {sequenceNr} refused ({cause.GetType().Name}: {cause.Message}); this attempt stops");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>A write the journal rejected (it could not store the event; the journal is intact): the attempt fails as
    /// if its work had broken, and is retried until the trial fails. Its epochs under way are dropped. Called for each
    /// event of the refused write; should the journal refuse the failure itself, the attempt stops and its slot hands
    /// the trial back.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        if (@event is AttemptFailed or TrialFailed)
        {
            Observer.Note($"{_assignment.TrialId}: journal write {sequenceNr} (the attempt's failure) rejected ({cause.Message}); handed back");
            Context.Stop(Self);
            return;
        }
        if (_refused) return;
        _refused = true;
        Observer.Note($"{_assignment.TrialId}: journal write {sequenceNr} rejected ({cause.GetType().Name}: {cause.Message}); this attempt fails");
        _work.Cancel();
        _fenced.TrySetException(cause);
        if (_journaling is { } write)
        {
            // The commit has ended, unjournaled: the engine is as it was, working or done.
            write.Epoch.Committed.TrySetException(cause);
            _journaling = null;
            Become(write.Refused);
        }
        // Not persisted from here: Akka is still matching this write's events to their handlers.
        Self.Tell(new WorkFailed(cause));
    }

    protected override void PostStop()
    {
        _abandon.Cancel();
        _work.Cancel();
        _boundary.Cancel();
        _assignment.Gate?.Withdraw();
        // After the work already queued, which may still create the workbench.
        _threads.Engine.Run(() =>
        {
            _bench?.Dispose();
            return 0;
        });
        base.PostStop();
    }

    private sealed record Began;
    private sealed record Prepared(TrialStarted? Started);
    private sealed record Secured(EpochPerformed Epoch);
    private sealed record WorkFailed(Exception Cause);
    private sealed record CommitFailed(EpochPerformed Epoch, Exception Cause);
}
