using System.Text.Json.Serialization;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;

namespace Orchestrator.Domain.Events;

/// <summary>
/// The trial event vocabulary. A public contract: users analyse these as JSON
/// (`orchestrator trial events ID --json`), so fields are only ever added, never renamed.
/// Every event is stored under a versioned name (see <see cref="EventCatalog"/>).
/// </summary>
public abstract record TrialEvent
{
    // Closed: the events of this file are the vocabulary; no other assembly adds to it.
    private protected TrialEvent() { }

    /// <summary>The attempt that wrote this event (see <see cref="AttemptStarted"/>); 0 in journals written before
    /// attempts were numbered.</summary>
    public int Attempt { get; init; }

    /// <summary>This event as written by <paramref name="attempt"/> (the same instance when it already is).</summary>
    public TrialEvent InAttempt(int attempt) => Attempt == attempt ? this : this with { Attempt = attempt };
}

/// <summary>A process took the trial up: every later event of this attempt carries its number, and events of an
/// older attempt that arrive after it (a writer that was paused or cut off and woke up late) are superseded.
/// <c>Worker</c> names the slot that runs it.</summary>
public sealed record AttemptStarted(string Worker) : TrialEvent;

/// <summary>First event of every trial. <c>InitialUnfrozenGroups</c> is 0 for dynamic, n for fixed-top-n.
/// <c>MaxRounds</c> caps the rounds of the <c>algorithm-1</c> stop policy (absent in older payloads: 10).
/// <c>Strategy</c> and <c>StopPolicy</c> travel as their spec spellings ("dynamic", "algorithm-1"). <c>Schedule</c>: the
/// phase schedule the trial follows; absent for dynamic and fixed-top-n, whose schedules follow from the other fields
/// (<see cref="BuiltInSchedules.Dynamic"/>, <see cref="BuiltInSchedules.FixedTopN"/>), so their journals stay as
/// they were.</summary>
public sealed record TrialStarted(
    Strategy Strategy,
    string Backbone,
    int Groups,
    double LearningRate,
    int Patience,
    int Step,
    double Decay,
    int MaxEpochs,
    int InitialUnfrozenGroups,
    StopPolicy StopPolicy,
    double MinDelta,
    int Seed,
    int MaxRounds = 10,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PhaseSchedule? Schedule = null) : TrialEvent;

/// <summary>One epoch trained and validated. <c>LearningRate</c> and <c>UnfrozenGroups</c> are those in force
/// during the epoch; <c>PatienceCounter</c> is the value after this epoch's improvement check (a following
/// <see cref="GroupsUnfrozen"/> resets it to 0). <c>FeatureCacheHits</c> and <c>FeatureCacheMisses</c> count the
/// epoch's training and validation images whose frozen-layer output came from the engine's cache or was computed
/// (absent in older payloads: 0). <c>TrainableGroups</c>: the backbone groups that trained in the epoch (0 =
/// shallowest); absent for dynamic and fixed-top-n, where they are always the deepest <c>UnfrozenGroups</c>.</summary>
public sealed record EpochCompleted(
    int Epoch,
    double TrainLoss,
    double ValLoss,
    double ValAccuracy,
    double ValMacroF1,
    double LearningRate,
    int UnfrozenGroups,
    int PatienceCounter,
    double Seconds,
    long FeatureCacheHits = 0,
    long FeatureCacheMisses = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] GroupSet? TrainableGroups = null) : TrialEvent;

/// <summary>Validation loss improved; the weights of this epoch are the new best, saved as <c>Checkpoint</c>.</summary>
public sealed record BestImproved(int Epoch, double ValLoss, string Checkpoint, string Sha256) : TrialEvent;

/// <summary>The next phase of the schedule begins (for dynamic, a plateau was detected): the count of trainable groups
/// goes from <c>From</c> to <c>To</c>, the new rate is <c>LearningRate</c>, the optimizer state is reset unless the
/// phase says otherwise and the patience counter returns to 0. <c>TrainableGroups</c>: the groups of the new phase,
/// absent for dynamic and fixed-top-n (the deepest <c>To</c>).</summary>
public sealed record GroupsUnfrozen(int Epoch, int From, int To, double LearningRate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] GroupSet? TrainableGroups = null) : TrialEvent;

/// <summary>Weights were put back to those of <c>BestEpoch</c> at the end of <c>Epoch</c>.</summary>
public sealed record BestWeightsRestored(int Epoch, int BestEpoch) : TrialEvent;

/// <summary>The resumable state at the end of <c>Epoch</c> (weights, optimizer, RNG) was saved.</summary>
public sealed record CheckpointSaved(int Epoch, string Checkpoint, string Sha256) : TrialEvent;

/// <summary>Training ended after <c>Epoch</c>; the test evaluation of the best weights follows.</summary>
public sealed record TrainingStopped(int Epoch, StopReason Reason) : TrialEvent;

/// <summary>The best weights were evaluated on the test split. Everything a report needs is here or in the file
/// <c>TestOutputs</c> names, so reports (McNemar, bootstrap, calibration) run from the journal and that file: the
/// labels, predictions and softmax probabilities of the test images in split order live in the file (megabytes on a
/// real split; made durable before this event is journaled), the class names, the size of the best-weights file and
/// the time it took to load it into a fresh model for inference (the model the test figures come from) live here.
/// Journals written before the file existed carry the per-image arrays inline (<c>TestPredictions</c>,
/// <c>TestLabels</c>, <c>TestProbabilities</c>; stored as <c>TrialCompleted.v1</c>); fields added after the first
/// release are absent in older payloads and read as null or 0.</summary>
public sealed record TrialCompleted(
    int BestEpoch,
    double BestValLoss,
    int EpochsRun,
    double TestLoss,
    double TestAccuracy,
    double TestMacroF1,
    int[][] ConfusionMatrix,
    int[]? TestPredictions,
    int[]? TestLabels = null,
    float[][]? TestProbabilities = null,
    string[]? ClassNames = null,
    long ModelBytes = 0,
    double LoadSeconds = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TestOutputsFile? TestOutputs = null) : TrialEvent
{
    /// <summary>This result with the per-image outputs inline, as journals before <c>TestOutputs</c> carried them.</summary>
    public TrialCompleted WithOutputs(TestOutputs outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        return this with { TestLabels = outputs.Labels, TestPredictions = outputs.Predictions, TestProbabilities = outputs.Probabilities };
    }
}

/// <summary>The file of a trial's per-image test outputs, in the trial's artifact folder, and its SHA-256 (which its
/// name contains: <see cref="Trials.CheckpointNames.TestOutputs"/>).</summary>
public sealed record TestOutputsFile(string File, string Sha256);

/// <summary>One attempt at the trial broke (an engine error, unreadable data...); it is retried from the journal
/// until the retry limit, then ends with <see cref="TrialFailed"/>. Interruptions (kill, lost lease) are not failures.
/// <c>Attempt</c> is the inherited attempt number (older journals: the count of failed attempts).</summary>
public sealed record AttemptFailed : TrialEvent
{
    public AttemptFailed(int attempt, string reason)
    {
        Attempt = attempt;
        Reason = reason;
    }

    public string Reason { get; init; }
}

public sealed record TrialFailed(string Reason) : TrialEvent;

/// <summary>The losses of <c>Epoch</c> (journaled just before) say training blew up (<see cref="Trials.Divergence"/>):
/// the trial ends here, a result rather than a failure, with no test evaluation of weights that are not a valid model
/// and no retry. <c>Reason</c> names the loss and the bound it broke.</summary>
public sealed record TrialDiverged(int Epoch, string Reason) : TrialEvent;

/// <summary>The sweep's successive halving stopped the trial at rung <c>Rung</c> (0-based), after <c>Epoch</c>, its last
/// epoch: at least <c>Better</c> configurations of its cell had a lower validation loss there, more than go on. Its
/// journal and checkpoints stay (it can be examined and resumed by hand); it has no test evaluation.</summary>
public sealed record TrialPruned(int Epoch, int Rung, double ValLoss, int Better) : TrialEvent;
