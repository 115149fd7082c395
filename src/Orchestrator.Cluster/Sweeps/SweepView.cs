using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Store;

namespace Orchestrator.Cluster.Sweeps;

/// <summary>A trial as the user sees it: its row, its spec and the state folded from its journal.</summary>
public sealed record TrialView(TrialRecord Record, TrialSpec Spec, TrialState State);

/// <summary>One line of the results table: the chosen trial of a (backbone, strategy) pair.</summary>
public sealed record ResultRow(string Backbone, string Strategy, TrialView Trial, int Candidates);

public static class SweepViews
{
    public static async Task<IReadOnlyList<TrialView>> LoadAsync(IOrchestratorStore store, string sweepId, CancellationToken ct)
    {
        var views = new List<TrialView>();
        foreach (var record in await store.ListTrialsAsync(sweepId, ct))
        {
            var events = await store.ReadStreamAsync(record.Id, ct);
            var state = TrialEvolution.Replay(events.Select(e => EventCatalog.Deserialize(e.Type, e.Payload)));
            views.Add(new TrialView(record, TrialSpecJson.Deserialize(record.SpecJson), state));
        }
        return views;
    }

    /// <summary>
    /// Per backbone and strategy, the completed trial with the lowest best validation loss: the fixed top-n
    /// depth (and any other grid axis) is chosen on validation, never on test.
    /// </summary>
    public static IReadOnlyList<ResultRow> Results(IReadOnlyList<TrialView> trials) =>
        trials.Where(t => t.State.Phase == TrialPhase.Completed)
            .GroupBy(t => (t.Spec.Backbone, t.Spec.Strategy))
            .Select(g => new ResultRow(g.Key.Backbone, g.Key.Strategy, g.OrderBy(t => t.State.BestValLoss).ThenBy(t => t.Record.Id, StringComparer.Ordinal).First(), g.Count()))
            .OrderBy(r => r.Backbone, StringComparer.Ordinal).ThenBy(r => r.Strategy, StringComparer.Ordinal)
            .ToList();

    /// <summary>Accepts a full sweep id, or a sweep name.</summary>
    public static async Task<SweepRecord?> FindAsync(IOrchestratorStore store, string idOrName, CancellationToken ct) =>
        await store.GetSweepAsync(idOrName, ct) ?? await store.GetSweepAsync(Ids.SweepId(idOrName), ct);
}
