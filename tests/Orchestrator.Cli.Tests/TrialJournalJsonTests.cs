using System.Text.Json;
using Orchestrator.Dashboard;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Catalogue;

namespace Orchestrator.Cli.Tests;

public class TrialJournalJsonTests
{
    /// <summary>A diverged trial journals the epoch whose loss was NaN or infinite: its page still draws, with those
    /// losses as null (JSON has no NaN), and the finite ones as they are.</summary>
    [Fact]
    public void A_diverged_trial_with_non_finite_losses_serializes_them_as_null()
    {
        var trial = Orchestrator.Cli.Planning.SweepData.Plan(ClusterRig.Spec("nan", seeds: 1)).Trials[0];
        TrialEvent[] events =
        [
            new TrialStarted(Strategy.Dynamic, "lightweight-cnn", 4, 1e-3, 2, 2, 0.1, 8, 0, StopPolicy.Algorithm1, 0, 1),
            new EpochCompleted(1, 1.1, 1.0, 0.5, 0.4, 1e-3, 0, 0, 0.7),
            new EpochCompleted(2, double.NaN, double.PositiveInfinity, 0.3, 0.2, 1e-3, 0, 1, 0.7),
            new TrialDiverged(2, "train loss is NaN"),
        ];
        var journal = events.Select((e, i) => new JournaledEvent(i + 1, e, Superseded: false)).ToList();
        var view = new TrialView(new TrialRecord(trial.Id, new SweepId("sw-nan"), trial.CanonicalJson, TrialStatus.Diverged, null, 1, DateTimeOffset.UtcNow),
            trial.Spec, TrialEvolution.Replay(events));

        var json = JsonDocument.Parse(TrialJournalJson.Serialize(new TrialPage(view, journal, null, ClusterAnswered: false)));

        var epochs = json.RootElement.GetProperty("epochs").EnumerateArray().ToList();
        epochs[0].GetProperty("trainLoss").GetDouble().Should().Be(1.1);
        epochs[1].GetProperty("trainLoss").ValueKind.Should().Be(JsonValueKind.Null);
        epochs[1].GetProperty("valLoss").ValueKind.Should().Be(JsonValueKind.Null);
    }
}
