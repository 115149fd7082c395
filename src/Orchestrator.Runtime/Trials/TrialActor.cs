using Akka.Actor;
using Akka.Pattern;
using Akka.Persistence;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Persistence;

namespace Orchestrator.Runtime.Trials;

/// <summary>
/// One trial as an event-sourced actor. Recovery folds its journal with the domain's <see cref="TrialEvolution.Evolve"/>;
/// it then journals <see cref="AttemptStarted"/> and, per epoch, has the engine train and validate on the trial's own
/// thread, decides with the domain's decider, has the engine perform the decision's effects, flushes the checkpoint
/// files they wrote and journals the events that name them. An epoch's commit (flush, journal, prune) overlaps the
/// next epoch's training; the next epoch's files are only written once that commit has ended.
/// </summary>
public sealed class TrialActor : ReceivePersistentActor
{
    private readonly TrialAssignment _assignment;
    private readonly TrialServices _services;
    private readonly IActorRef _slot;
    private readonly List<CheckpointSaved> _checkpoints = [];
    private readonly CancellationTokenSource _work = new();
    private TrialState _state = TrialState.Initial;
    private TrialState _planned = TrialState.Initial;
    private TrainerThread? _thread;
    private readonly TrialArtifacts _artifacts;
    // Created, used and disposed only on the trial's own thread: every access is inside work handed to _thread.
    private TrialWorkbench? _bench;
    private int _attempt;
    private int _trainingEpoch;
    private bool _committing;
    private bool _engineBusy;
    private StopTrial? _stop;
    private bool _ended;

    public TrialActor(TrialAssignment assignment, TrialServices services, IActorRef slot)
    {
        _assignment = assignment;
        _services = services;
        _slot = slot;
        _artifacts = new TrialArtifacts(services.ArtifactRoot, assignment.TrialId, services.Blobs);

        Recover<TrialEvent>(Apply);
        Recover<RecoveryCompleted>(_ => Begin());

        Command<Prepared>(OnPrepared);
        Command<EpochTrained>(OnEpochTrained);
        Command<EffectsApplied>(OnEffectsApplied);
        Command<Secured>(OnSecured);
        Command<Evaluated>(OnEvaluated);
        Command<WorkFailed>(OnWorkFailed);
        Command<CommitFailed>(failed =>
        {
            // The epoch's files could not be made durable: it is never journaled, and the attempt fails.
            _committing = false;
            Stash.UnstashAll();
            OnWorkFailed(new WorkFailed(failed.Cause));
        });
        Command<StopTrial>(OnStop);
        Command<GetTrialStatus>(_ => Sender.Tell(new TrialStatusReport(_assignment.TrialId, _attempt, _state, _planned, _trainingEpoch)));
    }

    public override string PersistenceId => JournalSettings.PersistenceIdOf(_assignment.TrialId);

    private IRunObserver Observer => _services.Observer;

    /// <summary>The trial actor under a backoff supervisor: an attempt that throws is restarted after a growing pause,
    /// and resumes from its journal; its restarts are bounded by the journaled attempt count, not by the supervisor.</summary>
    public static Props Supervised(TrialAssignment assignment, TrialServices services, IActorRef slot) =>
        BackoffSupervisor.Props(Akka.Pattern.Backoff.OnFailure(
                Props.Create(() => new TrialActor(assignment, services, slot)),
                "trial", services.RetryBackoff, services.RetryBackoff * 30, 0.2, services.MaxAttempts + 1)
            // Not logged by Akka: the attempt's failure is journaled and reported by the observer in one line.
            .WithSupervisorStrategy(new OneForOneStrategy(-1, -1,
                ex => ex is TrialAttemptException ? Directive.Restart : Directive.Stop, loggingEnabled: false)));

    private void Apply(TrialEvent e)
    {
        if (e is CheckpointSaved saved && !TrialEvolution.IsSuperseded(_state, e)) _checkpoints.Add(saved);
        _state = TrialEvolution.Evolve(_state, e);
        _planned = _state;
    }

    private T Stamp<T>(T e) where T : TrialEvent => e.Attempt == _attempt ? e : e with { Attempt = _attempt };

    private void Begin()
    {
        Observer.TrialClaimed(_assignment.Slot, _assignment.TrialId, _assignment.Spec, _state);
        if (_state.IsTerminal)
        {
            End(_state.Phase == TrialPhase.Completed ? TrialEnd.Completed : TrialEnd.Failed);
            return;
        }
        _attempt = _state.Attempt;
        if (_state.FailedAttempts >= _services.MaxAttempts)
        {
            Persist(Stamp(new TrialFailed($"{_state.FailureReason} ({_state.FailedAttempts} attempts failed)")), e =>
            {
                Apply(e);
                End(TrialEnd.Failed);
            });
            return;
        }
        _attempt = _state.Attempt + 1;
        Persist(Stamp(new AttemptStarted(_assignment.Slot)), e =>
        {
            Apply(e);
            _thread = new TrainerThread($"trial {_assignment.TrialId}");
            var state = _state;
            var checkpoints = _checkpoints.ToList();
            var token = _work.Token;
            _engineBusy = true;
            _thread.Run(() =>
                {
                    _bench = new TrialWorkbench(_assignment.Slot, _assignment.TrialId, _assignment.Spec, _services, _artifacts);
                    return new Prepared(_bench.Prepare(state, checkpoints, token));
                })
                .PipeTo(Self, failure: ex => new WorkFailed(ex));
        });
    }

    private void OnPrepared(Prepared prepared)
    {
        _engineBusy = false;
        if (prepared.Started is { } started)
        {
            Persist(Stamp(started), e =>
            {
                Apply(e);
                Next();
            });
            return;
        }
        Next();
    }

    /// <summary>Starts what the planned state calls for: the next epoch, the test evaluation, or the end.</summary>
    private void Next()
    {
        if (_stop is not null)
        {
            // Ends once the engine's work and the commit under way are over: a stop never cuts a commit short.
            if (!_committing && !_engineBusy) End(_stop.Cause == StopCause.SweepCancelled ? TrialEnd.Cancelled : TrialEnd.Interrupted);
            return;
        }
        var state = _planned;
        var token = _work.Token;
        switch (state.Phase)
        {
            case TrialPhase.Training:
                _trainingEpoch = state.EpochsDone + 1;
                _engineBusy = true;
                _thread!.Run(() => new EpochTrained(_bench!.TrainEpoch(state, token)))
                    .PipeTo(Self, failure: ex => new WorkFailed(ex));
                break;
            case TrialPhase.Stopped:
                _trainingEpoch = 0;
                _engineBusy = true;
                _thread!.Run(() => new Evaluated(_bench!.Evaluate(state, token)))
                    .PipeTo(Self, failure: ex => new WorkFailed(ex));
                break;
            default:
                // Completed or failed by the last commit: nothing is left to do once it is journaled.
                if (!_committing) End(_state.Phase == TrialPhase.Completed ? TrialEnd.Completed : TrialEnd.Failed);
                break;
        }
    }

    private void OnEpochTrained(EpochTrained trained)
    {
        if (_committing)
        {
            // The previous commit prunes files by what is journaled: it must end before this epoch's files exist.
            Stash.Stash();
            return;
        }
        _engineBusy = false;
        if (Interrupted)
        {
            Next();
            return;
        }
        EpochDecision decision;
        try
        {
            decision = TrialDecider.Decide(_planned, trained.Outcome);
        }
        catch (InvalidOperationException ex)
        {
            // A journal the decider cannot go on from (a configuration it refuses): a failed attempt, so retries stay bounded.
            OnWorkFailed(new WorkFailed(ex));
            return;
        }
        _engineBusy = true;
        _thread!.Run(() => new EffectsApplied(EpochEvents.Record(decision, _bench!.Perform(decision))))
            .PipeTo(Self, failure: ex => new WorkFailed(ex));
    }

    private void OnEffectsApplied(EffectsApplied applied)
    {
        _engineBusy = false;
        var events = applied.Events.Select(Stamp).ToList();
        _planned = events.Aggregate(_planned, TrialEvolution.Evolve);
        _committing = true;
        var artifacts = _artifacts;
        OffActorThread.Run(async () =>
            {
                await artifacts.SecureAsync(events, CancellationToken.None).ConfigureAwait(false);
                return new Secured(events);
            })
            .PipeTo(Self, failure: ex => new CommitFailed(ex));
        Next();
    }

    private void OnSecured(Secured secured)
    {
        var left = secured.Events.Count;
        PersistAll(secured.Events, e =>
        {
            Apply(e);
            if (--left > 0) return;
            Observer.EventsJournaled(_assignment.Slot, _assignment.TrialId, secured.Events);
            var keep = new[] { _state.LatestCheckpoint, _checkpoints.Count > 1 ? _checkpoints[^2].Checkpoint : null, _state.BestCheckpoint };
            var artifacts = _artifacts;
            // On the trial's thread, so it runs before the next epoch's effects write new files.
            _thread!.Run(() =>
            {
                artifacts.PruneAsync(keep, CancellationToken.None).GetAwaiter().GetResult();
                return 0;
            });
            _committing = false;
            Stash.UnstashAll();
            if (_stop is not null || _planned.IsTerminal) Next();
        });
    }

    private void OnEvaluated(Evaluated evaluated)
    {
        if (_committing)
        {
            Stash.Stash();
            return;
        }
        _engineBusy = false;
        Persist(Stamp(evaluated.Result), e =>
        {
            Apply(e);
            End(_state.Phase == TrialPhase.Completed ? TrialEnd.Completed : TrialEnd.Failed);
        });
    }

    private void OnWorkFailed(WorkFailed failed)
    {
        if (_committing)
        {
            // The epoch being committed is kept whatever happens to the next one.
            Stash.Stash();
            return;
        }
        _engineBusy = false;
        if (_stop is not null)
        {
            Next();
            return;
        }
        var reason = $"{failed.Cause.GetType().Name}: {failed.Cause.Message}";
        Persist(Stamp(new AttemptFailed(_attempt, reason)), e =>
        {
            Apply(e);
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
        if (Interrupted) _work.Cancel();
    }

    private bool Interrupted => _stop is { Cause: not StopCause.SweepCancelled };

    private void End(TrialEnd end)
    {
        if (_ended) return;
        _ended = true;
        _trainingEpoch = 0;
        _slot.Tell(new TrialEnded(_assignment.TrialId, end, _state));
        Context.Stop(Self);
    }

    /// <summary>A write the journal refused: most likely another writer took this sequence number (a newer attempt
    /// elsewhere). This writer stops for good; its slot hands the trial back.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        Observer.Note($"{_assignment.TrialId}: journal write {sequenceNr} refused ({cause.GetType().Name}: {cause.Message}); this attempt stops");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void PostStop()
    {
        _work.Cancel();
        _thread?.Shutdown(() => _bench?.Dispose());
        base.PostStop();
    }

    private sealed record Prepared(TrialStarted? Started);
    private sealed record EpochTrained(EpochOutcome Outcome);
    private sealed record EffectsApplied(IReadOnlyList<TrialEvent> Events);
    private sealed record Secured(IReadOnlyList<TrialEvent> Events);
    private sealed record Evaluated(TrialEvent Result);
    private sealed record WorkFailed(Exception Cause);
    private sealed record CommitFailed(Exception Cause);
}
