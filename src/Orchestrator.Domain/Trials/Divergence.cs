using System.Globalization;

namespace Orchestrator.Domain.Trials;

/// <summary>
/// When an epoch's losses say training has blown up rather than over-fitted: a train or validation loss that is NaN or
/// infinite, or one above <see cref="Factor"/> times the trial's reference loss. The reference is the larger of the
/// first epoch's two losses, at least <see cref="MinReference"/>; the first epoch itself, which has no reference yet,
/// is held to the floor alone (a bound of 20).
/// <para>Why this bound: a loss is cross-entropy in nats. The first epoch's loss is the task's own scale (about ln C
/// for a head that still guesses among C classes), and ordinary training only goes down from it: over-fitting lifts
/// the validation loss above its best by a few times, and a new phase's higher rate lifts the train loss briefly, but
/// neither comes near ten times the start. The floor keeps a task whose first epoch is already nearly perfect (a
/// reference of 0.05 would bound at 0.5, which an over-fitting run can pass) from being called diverged: a mean of 20
/// nats puts a probability of e^-20 on the true class, which only destroyed weights do. The demo's EfficientNetV2-S
/// trial that diverged (train loss 1136, validation loss 8424, on 3 classes) is past it by two orders of magnitude.
/// A slower drift (a loss that creeps to 15) is not caught: it stays a poor result, whose best weights are those of
/// its best epoch.</para>
/// <para>Not the best validation loss so far as the reference: it shrinks as training succeeds, so the bound would
/// tighten on exactly the trials that over-fit late.</para>
/// </summary>
public static class Divergence
{
    public const double Factor = 10;
    public const double MinReference = 2;

    /// <summary>The loss the bound is a multiple of: the larger of the first epoch's finite losses (0: none journaled
    /// yet), at least <see cref="MinReference"/>.</summary>
    public static double Reference(double firstEpochLoss) => Math.Max(MinReference, firstEpochLoss);

    /// <summary>What the first epoch leaves as the reference: the larger of its finite losses (0 when neither is).</summary>
    public static double FirstEpochLoss(double trainLoss, double valLoss) =>
        Math.Max(double.IsFinite(trainLoss) ? trainLoss : 0, double.IsFinite(valLoss) ? valLoss : 0);

    /// <summary>Why an epoch with these losses diverged, or null when it did not. <paramref name="firstEpochLoss"/>:
    /// <see cref="TrialState.FirstEpochLoss"/> before this epoch.</summary>
    public static string? Reason(double trainLoss, double valLoss, double firstEpochLoss)
    {
        var bound = Factor * Reference(firstEpochLoss);
        return Check("train", trainLoss, bound, firstEpochLoss) ?? Check("val", valLoss, bound, firstEpochLoss);
    }

    /// <summary>"diverged at epoch N: REASON", as a slot's line, `trial show` and the report say it.</summary>
    public static string Describe(Events.TrialDiverged diverged)
    {
        ArgumentNullException.ThrowIfNull(diverged);
        return $"diverged at epoch {diverged.Epoch}: {diverged.Reason}";
    }

    private static string? Check(string which, double loss, double bound, double firstEpochLoss) => loss switch
    {
        double.NaN => $"{which} loss is NaN",
        _ when double.IsInfinity(loss) => $"{which} loss is infinite",
        _ when loss > bound => string.Create(CultureInfo.InvariantCulture, $"{which} loss {loss:G6} exceeds {bound:G6}, {Factor:G} x {ReferenceText(firstEpochLoss)}"),
        _ => null,
    };

    private static string ReferenceText(double firstEpochLoss) => firstEpochLoss > MinReference
        ? string.Create(CultureInfo.InvariantCulture, $"the first epoch's loss {firstEpochLoss:G6}")
        : string.Create(CultureInfo.InvariantCulture, $"{MinReference:G} (the floor of the reference loss)");
}
