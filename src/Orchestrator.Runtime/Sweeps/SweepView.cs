using Orchestrator.Domain.Events;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;
using Orchestrator.Domain;

namespace Orchestrator.Runtime.Sweeps;

/// <summary>A trial as the user sees it: its row, its spec and the state folded from its journal.</summary>
public sealed record TrialView(TrialRecord Record, TrialSpec Spec, TrialState State);

/// <summary>One line of the results table: the chosen trial of a (backbone, strategy) pair.</summary>
public sealed record ResultRow(string Backbone, Strategy Strategy, TrialView Trial, int Candidates);

public static class SweepViews
{
    public static async Task<IReadOnlyList<TrialView>> LoadAsync(ISweepCatalogue store, TrialJournalReader journal, SweepId sweepId, CancellationToken ct) =>
        (await LoadWithEventsAsync(store, journal, sweepId, ct)).Select(t => t.View).ToList();

    /// <summary>The sweep's trials with the events of their journals that count.</summary>
    public static async Task<IReadOnlyList<(TrialView View, IReadOnlyList<TrialEvent> Events)>> LoadWithEventsAsync(
        ISweepCatalogue store, TrialJournalReader journal, SweepId sweepId, CancellationToken ct)
    {
        var records = await store.ListTrialsAsync(sweepId, ct);
        var journals = await journal.ReadManyAsync(records.Select(r => r.Id.Value), ct);
        return records.Select(record =>
        {
            IReadOnlyList<TrialEvent> events = [.. journals[record.Id.Value].Where(e => !e.Superseded).Select(e => e.Event)];
            return (new TrialView(record, TrialSpecJson.Deserialize(record.SpecJson), TrialEvolution.Replay(events)), events);
        }).ToList();
    }

    /// <summary>
    /// Per backbone and strategy, the completed trial with the lowest best validation loss: the fixed top-n
    /// depth (and any other grid axis) is chosen on validation, never on test.
    /// </summary>
    public static IReadOnlyList<ResultRow> Results(IReadOnlyList<TrialView> trials) =>
        trials.Where(t => t.State.Phase == TrialPhase.Completed)
            .GroupBy(t => (t.Spec.Backbone, t.Spec.Strategy))
            .Select(g => new ResultRow(g.Key.Backbone, g.Key.Strategy, g.OrderBy(t => t.State.BestValLoss).ThenBy(t => t.Record.Id.Value, StringComparer.Ordinal).First(), g.Count()))
            .OrderBy(r => r.Backbone, StringComparer.Ordinal).ThenBy(r => r.Strategy.ToSpecString(), StringComparer.Ordinal)
            .ToList();

    /// <summary>The trials a sweep's results compare: with replicates, those alone (its searches are tuning history).</summary>
    public static IReadOnlyList<TrialView> Compared(IReadOnlyList<TrialView> trials, SweepPlan? plan)
    {
        ArgumentNullException.ThrowIfNull(trials);
        if (plan is not { ReplicateSeeds.Count: > 0 }) return trials;
        var search = plan.SearchTrials();
        return [.. trials.Where(t => !search.Contains(t.Record.Id))];
    }

    /// <summary>Accepts a full sweep id, or a sweep name, as the user typed it.</summary>
    /// <exception cref="InvalidInputException"><paramref name="idOrName"/> is blank.</exception>
    public static async Task<SweepRecord?> FindAsync(ISweepCatalogue store, string idOrName, CancellationToken ct) =>
        await store.GetSweepAsync(SweepId.Parse(idOrName), ct) ?? await store.GetSweepAsync(Ids.SweepId(idOrName), ct);
}
