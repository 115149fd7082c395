using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Reporting.Reports;

/// <summary>Where a trial stands, as its store row and journal say together.</summary>
public enum TrialRunState { Pending, Running, Completed, Failed, Cancelled }

/// <summary>One trial as a report reads it: its id, spec, state and journal (in sequence order).</summary>
public sealed record TrialResults(string Id, TrialSpec Spec, TrialRunState State, IReadOnlyList<TrialEvent> Events);

/// <summary>
/// Everything a sweep report is computed from. <c>Synthetic</c> is what the dataset's manifest says, or null when
/// the manifest could not be read (the dataset moved or was deleted): the journal alone carries every number.
/// </summary>
public sealed record SweepResults(string SweepId, string Name, string DataPath, bool? Synthetic, IReadOnlyList<TrialResults> Trials);
