using Orchestrator.Domain.Events;
using Orchestrator.Domain.Strategies;

namespace Orchestrator.Domain.Trials;

/// <summary>
/// What <see cref="TrialDecider.Decide"/> decided at the end of one epoch, before anything is performed.
/// The runtime performs <see cref="Effects"/> in order, then turns the decision and the files the effects wrote into
/// the epoch's events with <see cref="EpochEvents.Record"/>. The constructor refuses combinations the decider
/// never makes (an improvement with an unfreeze, an improvement without a patience reset, ...).
/// </summary>
/// <param name="Completed">The epoch's figures: rate and unfrozen groups in force during it, patience after the check.</param>
/// <param name="Improved">The val loss is the new best; its weights are saved as <see cref="BestCheckpointName"/>.</param>
/// <param name="Unfreeze">The schedule's next phase begins (dynamic: a plateau with groups left): its groups become
/// trainable, then, if the phase says so, the best weights are put back.</param>
/// <param name="StopReason">Why training ends with this epoch, if it does, training ends with this epoch, else null.</param>
/// <param name="Divergence">Why the epoch's losses say training blew up (<see cref="Trials.Divergence"/>), else null:
/// the trial ends with it, and nothing of the epoch is saved (no best, no phase, no stop, no checkpoint).</param>
/// <exception cref="ArgumentException">The combination is not one the decider makes.</exception>
public sealed record EpochDecision(EpochCompleted Completed, bool Improved, GroupUnfreeze? Unfreeze, StopReason? StopReason,
    string? Divergence = null)
{
    // Get-only, so that `with` cannot get round the checks.
    public EpochCompleted Completed { get; } = Checked(Completed, Improved, Unfreeze, StopReason, Divergence);
    public bool Improved { get; } = Improved;
    public GroupUnfreeze? Unfreeze { get; } = Unfreeze;
    public StopReason? StopReason { get; } = StopReason;
    public string? Divergence { get; } = Divergence;

    public int Epoch => Completed.Epoch;
    public bool Stops => StopReason is not null;
    public bool Diverges => Divergence is not null;

    /// <summary>The attempt that performs the decision: its files carry it (<see cref="CheckpointNames"/>).</summary>
    public int Attempt { get; init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Attempt), value, "must not be negative"); }

    /// <summary>The file the best weights must be saved to; null when the best did not improve.</summary>
    public string? BestCheckpointName => Improved ? CheckpointNames.Best(Attempt, Epoch) : null;

    /// <summary>The file the resumable checkpoint must be saved to; null when training stops (the test evaluation
    /// of the best weights follows, nothing resumes) or diverges (the trial ends).</summary>
    public string? CheckpointName => Stops || Diverges ? null : CheckpointNames.Latest(Attempt, Epoch);

    /// <summary>What the runtime must perform, in this order: the resumable checkpoint is saved last, so it holds the
    /// weights, rate and trainable groups the next epoch starts from.</summary>
    public IReadOnlyList<EpochEffect> Effects()
    {
        var effects = new List<EpochEffect>(3);
        if (BestCheckpointName is { } best) effects.Add(new EpochEffect.SaveBest(best));
        if (Unfreeze is { } u)
        {
            effects.Add(new EpochEffect.Unfreeze(u.To, u.LearningRate, u.Trainable, u.Discriminative, u.ResetsOptimizer));
            if (u.RestoresBest) effects.Add(new EpochEffect.RestoreBest(u.RestoreBestEpoch));
        }
        if (CheckpointName is { } checkpoint) effects.Add(new EpochEffect.SaveCheckpoint(checkpoint, Epoch));
        return effects;
    }

    private static EpochCompleted Checked(EpochCompleted completed, bool improved, GroupUnfreeze? unfreeze, StopReason? stopReason,
        string? divergence)
    {
        ArgumentNullException.ThrowIfNull(completed, nameof(Completed));
        var epoch = completed.Epoch;
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1, nameof(Completed));
        if (improved && (completed.PatienceCounter != 0 || double.IsNaN(completed.ValLoss)))
            throw new ArgumentException($"epoch {epoch}: an improvement needs a val loss and resets patience " +
                $"(val loss {completed.ValLoss}, patience {completed.PatienceCounter})", nameof(Improved));
        if (!improved && completed.PatienceCounter < 1)
            throw new ArgumentException($"epoch {epoch}: an epoch without improvement counts towards patience", nameof(Completed));
        if (unfreeze is not null)
        {
            // A phase that ends on a plateau ends on an epoch that did not improve; one that ends after a count of
            // epochs may end on an improving one, whose weights are then the best to restore.
            var bestEpoch = improved ? epoch : unfreeze.RestoreBestEpoch;
            if (improved && unfreeze.RestoresBest && unfreeze.RestoreBestEpoch != epoch)
                throw new ArgumentException($"epoch {epoch}: an improving epoch cannot restore older weights", nameof(Unfreeze));
            if (unfreeze.From != completed.UnfrozenGroups)
                throw new ArgumentException($"epoch {epoch}: unfreeze from {unfreeze.From}, " +
                    $"but {completed.UnfrozenGroups} groups were unfrozen", nameof(Unfreeze));
            if (bestEpoch > epoch || (!improved && bestEpoch == epoch))
                throw new ArgumentException(
                    $"epoch {epoch}: cannot restore the best weights of epoch {unfreeze.RestoreBestEpoch}", nameof(Unfreeze));
        }
        if (divergence is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(divergence, nameof(Divergence));
            if (improved || unfreeze is not null || stopReason is not null)
                throw new ArgumentException($"epoch {epoch}: a diverging epoch neither improves, begins a phase nor stops", nameof(Divergence));
        }
        return completed;
    }
}

/// <summary>
/// The next phase begins: the count of trainable groups goes from <see cref="From"/> to <see cref="To"/> with the new
/// rate <see cref="LearningRate"/>; then, if <see cref="RestoresBest"/>, the weights go back to those of
/// <see cref="RestoreBestEpoch"/> (0: the initial weights, no epoch improved yet). <see cref="Trainable"/>: the groups
/// that train, when the journal names them (null: the deepest <see cref="To"/>, as dynamic and fixed-top-n journal it);
/// without them the count must grow. <see cref="Discriminative"/>: the new phase's per-group rate divisor.
/// </summary>
public sealed record GroupUnfreeze(int From, int To, double LearningRate, int RestoreBestEpoch, GroupSet? Trainable = null,
    double Discriminative = 1, bool ResetsOptimizer = true, bool RestoresBest = true)
{
    // Get-only, so that neither the constructor nor `with` makes the groups shrink or an epoch negative.
    public int From { get; } = From >= 0 ? From : throw new ArgumentOutOfRangeException(nameof(From), From, "must not be negative");
    public int To { get; } = Trainable is not null ? (Trainable.Count == To ? To
            : throw new ArgumentOutOfRangeException(nameof(To), To, $"must be the count of {Trainable}"))
        : To > From ? To : throw new ArgumentOutOfRangeException(nameof(To), To, $"must exceed From ({From})");
    public GroupSet? Trainable { get; } = Trainable;
    public double Discriminative { get; } = Discriminative;
    public bool ResetsOptimizer { get; } = ResetsOptimizer;
    public bool RestoresBest { get; } = RestoresBest;
    public int RestoreBestEpoch { get; } = RestoreBestEpoch >= 0 ? RestoreBestEpoch
        : throw new ArgumentOutOfRangeException(nameof(RestoreBestEpoch), RestoreBestEpoch, "must not be negative");
}

/// <summary>One thing the runtime must do at the end of an epoch (see <see cref="EpochDecision.Effects"/>).</summary>
public abstract record EpochEffect
{
    // Closed: the cases below are the only ones.
    private EpochEffect() { }

    /// <summary>Remember the current weights as the best and save them to <c>Checkpoint</c>; its SHA-256 goes in
    /// <see cref="EffectResults.Best"/>.</summary>
    public sealed record SaveBest(string Checkpoint) : EpochEffect;

    /// <summary>Make <c>Trainable</c> (null: the deepest <c>To</c>) groups trainable, set the rate to
    /// <c>LearningRate</c> with <c>Discriminative</c> per-group rates, and reset the optimizer state if
    /// <c>ResetOptimizer</c>.</summary>
    public sealed record Unfreeze(int To, double LearningRate, GroupSet? Trainable = null, double Discriminative = 1,
        bool ResetOptimizer = true) : EpochEffect;

    /// <summary>Put the remembered best weights (those of <c>BestEpoch</c>) back.</summary>
    public sealed record RestoreBest(int BestEpoch) : EpochEffect;

    /// <summary>Save the resumable state at the end of <c>Epoch</c> to <c>Checkpoint</c>; its SHA-256 goes in
    /// <see cref="EffectResults.Checkpoint"/>.</summary>
    public sealed record SaveCheckpoint(string Checkpoint, int Epoch) : EpochEffect;
}
