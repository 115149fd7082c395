using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Reporting.Reports;

/// <summary>One trial as a report reads it: its id, spec, status (its store row's) and journal (in sequence order).</summary>
public sealed record TrialResults(string Id, TrialSpec Spec, TrialStatus State, IReadOnlyList<TrialEvent> Events);

/// <summary>
/// Everything a sweep report is computed from. <c>Synthetic</c> is what the dataset's manifest says, or null when
/// the manifest could not be read (the dataset moved or was deleted): the journal alone carries every number.
/// <c>Plan</c>: the cells of a sweep that pruned or replicated (<see cref="SweepPlan.Of"/>); its search trials become the
/// report's tuning history, and with replicates the comparison uses the replicates alone.
/// </summary>
public sealed record SweepResults(string SweepId, string Name, string DataPath, bool? Synthetic, IReadOnlyList<TrialResults> Trials,
    Domain.Coordination.SweepPlan? Plan = null);
