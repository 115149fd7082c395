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
    private int _trainingEpoch;
    private bool _committing;
    // Between an epoch's EpochPerformed and its files being durable: its events are not handed to the journal yet.
    private bool _securing;
    // The test result that came while the last epoch's files were being made durable: journaled with its events.
    private TrialEvent? _heldResult;
    private bool _engineBusy;
    private StopTrial? _stop;
    private bool _ended;
    private bool _atGate;
    private bool _saidFinishing;
    private bool _saidEngineDone;
    // The epoch whose events are with the journal now, and whether the journal has refused a write of this attempt.
    private EpochPerformed? _journaling;
    private bool _refused;

    public TrialActor(TrialAssignment assignment, TrialServices services, SlotThreads threads, IActorRef slot)
    {
        _assignment = assignment;
        _services = services;
        _slot = slot;
        _artifacts = new TrialArtifacts(services.ArtifactRoot, assignment.TrialId, services.Blobs);
        _threads = threads;

        Recover<TrialEvent>(Apply);
        Recover<RecoveryCompleted>(_ => Begin());

        Command<Began>(_ => OnBegan());
        Command<Prepared>(OnPrepared);
        Command<EpochPerformed>(OnEpochPerformed);
        Command<Secured>(OnSecured);
        Command<EpochsPaused>(OnEpochsPaused);
        Command<Evaluated>(OnEvaluated);
        Command<WorkFailed>(OnWorkFailed);
        Command<CommitFailed>(failed =>
        {
            // The epoch's files could not be made durable: it is never journaled, and the attempt fails.
            failed.Epoch.Committed.TrySetException(failed.Cause);
            _committing = false;
            _securing = false;
            _heldResult = null;
            Stash.UnstashAll();
            OnWorkFailed(new WorkFailed(failed.Cause));
        });
        Command<StopTrial>(OnStop);
        Command<GetTrialStatus>(_ => Sender.Tell(new TrialStatusReport(_assignment.TrialId, _attempt, _state, _planned, _trainingEpoch)));
    }

    public override string PersistenceId => JournalSettings.PersistenceIdOf(_assignment.TrialId);

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
            JournalEvent(new TrialFailed($"{_state.FailureReason} ({_state.FailedAttempts} attempts failed)"), () => End(TrialEnd.Failed));
            return;
        }
        _attempt = _state.Attempt + 1;
        // The model is prepared and the first epoch trains while the attempt is journaled: the loop writes no file
        // before that write has fenced off older attempts (preparing writes nothing the journal names).
        var state = _planned;
        var checkpoints = _checkpoints.ToList();
        var (self, attempt, boundary, token) = (Self, _attempt, _boundary.Token, _work.Token);
        _engineBusy = true;
        _trainingEpoch = state.Phase is TrialPhase.NotStarted or TrialPhase.Training ? state.EpochsDone + 1 : 0;
        void Start() => _threads.Engine.Run<object>(() =>
            {
                token.ThrowIfCancellationRequested();
                self.Tell(new Began());
                _bench = new TrialWorkbench(_assignment.Slot, _assignment.TrialId, _assignment.Spec, _services, _artifacts);
                var started = _bench.Prepare(state, checkpoints, token);
                self.Tell(new Prepared(started));
                var planned = started is null ? state : TrialEvolution.Evolve(state, started);
                var result = new EpochLoop(_bench, attempt, _services.Pauses, performed => self.Tell(performed)).Run(planned, _fenced.Task, boundary, token);
                // Done with the engine: the slot's held trial is queued behind this work before the thread looks for more.
                if (result is Evaluated) _threads.EngineFree();
                return result;
            })
            .PipeTo(self, failure: ex => new WorkFailed(ex));
        if (_assignment.Gate is not { } gate)
        {
            Start();
            return;
        }
        _atGate = !gate.IsOpen;
        gate.WhenOpen(Start);
    }

    /// <summary>The trial's work has begun on the engine thread: its attempt is journaled meanwhile.</summary>
    private void OnBegan()
    {
        _atGate = false;
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

    /// <summary>Ends the trial once a stop, or a terminal state, is all that is left: after the engine's work and the
    /// commit under way (a stop never cuts a commit short).</summary>
    private void EndWhenIdle()
    {
        if (_committing || _engineBusy) return;
        if (_stop is not null) End(_stop.End);
        else if (_planned.IsTerminal) EndAsJournaled();
    }

    /// <summary>Training has stopped (the test evaluation and the last commit are left), or its last possible epoch
    /// is under way.</summary>
    private bool LastStepBegun => _planned.Phase == TrialPhase.Stopped || (_trainingEpoch > 0 && _trainingEpoch >= _planned.MaxEpochs);

    /// <summary>Once per trial, when its last step has begun: its slot may ask for the next trial meanwhile, which
    /// recovers its journal and waits at its gate.</summary>
    private void SayFinishing()
    {
        if (_saidFinishing) return;
        _saidFinishing = true;
        _slot.Tell(new TrialFinishing(_assignment.TrialId));
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
        _committing = true;
        _securing = true;
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

    private void OnSecured(Secured secured)
    {
        _securing = false;
        if (_services.Pauses?.PausedSince(secured.Epoch.Started) == true) Suspend();
        if (_abandon.IsCancellationRequested)
        {
            // Never journaled: this node may no longer hold the trial. Its files are orphans of this attempt.
            secured.Epoch.Committed.TrySetCanceled();
            _committing = false;
            _heldResult = null;
            Stash.UnstashAll();
            EndWhenIdle();
            return;
        }
        var epochEvents = secured.Epoch.Events;
        var result = _heldResult;
        _heldResult = null;
        // A test result that is already there goes into the same write: one append ends the trial.
        IReadOnlyList<TrialEvent> events = result is null ? epochEvents : [.. epochEvents, result];
        var left = events.Count;
        _journaling = secured.Epoch;
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
            _committing = false;
            Stash.UnstashAll();
            if (result is not null) EndAsJournaled();
            else if (_stop is not null || _planned.IsTerminal) EndWhenIdle();
        });
    }

    /// <summary>The epochs stopped at the boundary a stop asked for, or training ended in a terminal state.</summary>
    private void OnEpochsPaused(EpochsPaused paused)
    {
        if (_committing)
        {
            Stash.Stash();
            return;
        }
        _engineBusy = false;
        _trainingEpoch = 0;
        EndWhenIdle();
    }

    private void OnEvaluated(Evaluated evaluated)
    {
        if (!_saidEngineDone) _slot.Tell(new TrialEngineDone(_assignment.TrialId));
        _saidEngineDone = true;
        _engineBusy = false;
        _trainingEpoch = 0;
        if (_securing)
        {
            _heldResult = evaluated.Result.InAttempt(_attempt);
            _planned = TrialEvolution.Evolve(_planned, _heldResult);
            return;
        }
        if (_committing)
        {
            Stash.Stash();
            return;
        }
        JournalEvent(evaluated.Result, EndAsJournaled);
    }

    private void OnWorkFailed(WorkFailed failed)
    {
        if (failed.Cause is NodePausedException) Suspend();
        if (_committing)
        {
            // The epoch being committed is kept whatever happens to the next one.
            Stash.Stash();
            return;
        }
        _engineBusy = false;
        _trainingEpoch = 0;
        if (_stop is not null)
        {
            EndWhenIdle();
            return;
        }
        var reason = $"{failed.Cause.GetType().Name}: {failed.Cause.Message}";
        JournalEvent(new AttemptFailed(_attempt, reason), () =>
        {
            Observer.Note(_state.FailedAttempts < _services.MaxAttempts
                ? $"{_assignment.TrialId}: attempt failed ({_state.FailedAttempts} of {_services.MaxAttempts}): {reason}; it will be retried"
                : $"{_assignment.TrialId}: attempt failed ({_state.FailedAttempts} of {_services.MaxAttempts}): {reason}");
            throw new TrialAttemptException(reason, failed.Cause);
        });
    }

    /// <summary>A cancelled sweep lets the epoch under way finish and be journaled, then stops; a shutdown or a lost
    /// lease drops that epoch at once (nothing of it is journaled).</summary>
    private void OnStop(StopTrial stop)
    {
        if (_stop is null || stop.Cause != StopCause.SweepCancelled) _stop = stop;
        _boundary.Cancel();
        if (Interrupted) _work.Cancel();
        if (stop.Abandons) _abandon.Cancel();
        if (!_atGate) return;
        _assignment.Gate?.Withdraw();
        // Its work may have been queued just now, as the gate opened: it is cancelled.
        _work.Cancel();
        End(stop.End);
    }

    private bool Interrupted => _stop is { Cause: not StopCause.SweepCancelled };

    /// <summary>The process stood still long enough to have been downed: the trial stops at once and hands itself back.</summary>
    private void Suspend()
    {
        if (_stop?.Abandons == true) return;
        Observer.Note($"{_assignment.TrialId}: this process stood still for longer than the cluster waits; attempt {_attempt} stops unjournaled and is handed back");
        OnStop(new StopTrial(StopCause.NodePaused));
    }

    /// <summary>Ends as the journal says the trial ended: completed, or failed.</summary>
    private void EndAsJournaled() => End(_state.Phase == TrialPhase.Completed ? TrialEnd.Completed : TrialEnd.Failed);

    private void End(TrialEnd end)
    {
        if (_ended) return;
        _ended = true;
        _trainingEpoch = 0;
        _slot.Tell(new TrialEnded(_assignment.TrialId, end, _state));
        // Retention: after its last commit, on the same thread, a completed trial drops its resumable checkpoints.
        if (end == TrialEnd.Completed) { var (completed, observer) = (_state, Observer); _threads.Commits.Run(() => _artifacts.RetainCompleted(completed, observer)); }
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
        _journaling?.Committed.TrySetException(cause);
        _journaling = null;
        _committing = false;
        _securing = false;
        _heldResult = null;
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
