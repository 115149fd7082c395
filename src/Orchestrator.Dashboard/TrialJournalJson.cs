using System.Text.Json;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Hosting;

namespace Orchestrator.Dashboard;

/// <summary>The JSON the trial page draws from: the state, the epochs, the unfreeze and restore marks, every event.</summary>
public static class TrialJournalJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Serialize(TrialPage trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var (v, s) = (trial.View, trial.View.State);
        var counted = trial.Journal.Where(e => !e.Superseded).Select(e => e.Event).ToList();
        return JsonSerializer.Serialize(new
        {
            id = v.Record.Id,
            status = Orchestrator.Runtime.Sweeps.SweepProgress.StatusOf(v),
            epochsDone = s.EpochsDone,
            maxEpochs = v.Spec.MaxEpochs,
            unfrozen = s.UnfrozenGroups,
            groups = s.Groups,
            learningRate = s.LearningRate,
            patienceCounter = s.PatienceCounter,
            patience = s.Patience,
            bestEpoch = s.BestEpoch,
            bestValLoss = s.BestEpoch > 0 ? s.BestValLoss : (double?)null,
            failure = s.FailureReason,
            epochs = counted.OfType<EpochCompleted>().Select(e => new
            {
                epoch = e.Epoch, trainLoss = Finite(e.TrainLoss), valLoss = Finite(e.ValLoss), valAccuracy = e.ValAccuracy, unfrozen = e.UnfrozenGroups,
                learningRate = e.LearningRate, patienceCounter = e.PatienceCounter, seconds = e.Seconds,
            }),
            marks = counted.Select(Mark).OfType<object>(),
            events = trial.Journal.Select(e =>
            {
                var body = EventCatalog.ToPublicJson(e.Seq, e.Event);
                foreach (var key in new[] { "seq", "type", "attempt", "testPredictions" }) body.Remove(key);
                return new { seq = e.Seq, attempt = e.Event.Attempt, type = EventCatalog.PublicName(e.Event), superseded = e.Superseded, details = body.ToJsonString() };
            }),
            live = trial.Live is { } l ? new { node = SeedAddress.HostPortOf(l.Node), slot = l.Slot, epoch = l.Epoch, training = l.Training } : null,
            note = v.Record.Status == TrialStatus.Running && !trial.ClusterAnswered ? "no cluster answered: node and slot unknown" : null,
        }, Options);
    }

    /// <summary>A loss as the page draws it: null where it is NaN or infinite (a diverged epoch), which JSON cannot hold.</summary>
    private static double? Finite(double loss) => double.IsFinite(loss) ? loss : null;

    private static object? Mark(TrialEvent e) => e switch
    {
        GroupsUnfrozen u => new { epoch = u.Epoch, kind = "unfreeze", label = $"m {u.From}\u2192{u.To}" },
        BestWeightsRestored r => new { epoch = r.Epoch, kind = "restore", label = $"restored e{r.BestEpoch}" },
        _ => null,
    };
}
