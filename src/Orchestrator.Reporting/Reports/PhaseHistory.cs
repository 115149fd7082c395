using Orchestrator.Domain.Events;

namespace Orchestrator.Reporting.Reports;

/// <summary>The phases a trial went through, as its journal says, for the report's per-trial table.</summary>
public static class PhaseHistory
{
    /// <summary>"{} e1-4, {0,1,2} e5-7": each phase's trainable groups (0 = shallowest) and its epochs; journals that
    /// do not name their groups (dynamic, fixed-top-n) give the count, "m=2 e5-7". "-" before any epoch.</summary>
    public static string Describe(IReadOnlyList<TrialEvent> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var phases = new List<(string Groups, int First, int Last)>();
        foreach (var c in run.OfType<EpochCompleted>())
        {
            var groups = c.TrainableGroups?.ToString() ?? $"m={c.UnfrozenGroups}";
            // A new phase begins after each GroupsUnfrozen; consecutive epochs of one phase share its groups.
            var entered = run.OfType<GroupsUnfrozen>().Any(u => u.Epoch == c.Epoch - 1);
            if (phases.Count > 0 && !entered) phases[^1] = phases[^1] with { Last = c.Epoch };
            else phases.Add((groups, c.Epoch, c.Epoch));
        }
        return phases.Count == 0 ? "-"
            : string.Join(", ", phases.Select(p => p.First == p.Last ? $"{p.Groups} e{p.First}" : $"{p.Groups} e{p.First}-{p.Last}"));
    }
}
