using System.Globalization;
using System.Text;

namespace Orchestrator.Nemesis;

/// <summary>What a run found: one markdown table.</summary>
public sealed class Report
{
    /// <summary>The invariants, in the table's order.</summary>
    public static readonly string[] Invariants =
    [
        "every trial ended once the faults stopped",
        "each trial ended exactly once",
        "effective histories linear",
        "no two attempts of a trial training at once",
        "checkpoints exist with their SHA-256",
        "no orphan files",
        "second sweep run joins and completes",
        "processes exited or healthy",
        "pruning decisions as without faults",
    ];

    public int Seed { get; set; }
    public int Rounds { get; set; }
    public string Only { get; set; } = "";
    public TimeSpan WallTime { get; set; }
    public TimeSpan? SettleTime { get; set; }
    public Dictionary<FaultKind, int> Faults { get; } = [];
    public Dictionary<string, List<string>> Violations { get; } = [];
    public Dictionary<string, int> Checked { get; } = [];
    public List<string> HarnessErrors { get; } = [];
    public List<string> UnpromptedExits { get; } = [];
    public List<string> Notes { get; } = [];
    public string Trials { get; set; } = "not read";
    public string Epochs { get; set; } = "not read";

    public bool Failed => Violations.Values.Any(v => v.Count > 0) || HarnessErrors.Count > 0;

    public void Violate(string invariant, string example)
    {
        lock (Violations)
        {
            if (!Violations.TryGetValue(invariant, out var list)) Violations[invariant] = list = [];
            list.Add(example);
        }
    }

    public void Count(string invariant, int n = 1) => Checked[invariant] = Checked.GetValueOrDefault(invariant) + n;

    public void Note(string note) => Notes.Add(note);

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("| nemesis | result |");
        sb.AppendLine("|---|---|");
        sb.AppendLine(inv, $"| seed | {Seed} (replay: `dotnet orchestrator-nemesis.dll --rounds {Rounds} --seed {Seed}{Only}`) |");
        sb.AppendLine(inv, $"| rounds | {Rounds} |");
        sb.AppendLine(inv, $"| wall time | {WallTime:hh\\:mm\\:ss}{(SettleTime is { } s ? $" (settled {s.TotalSeconds:F0} s after the last fault)" : "")} |");
        sb.AppendLine(inv, $"| faults by kind | {(Faults.Count == 0 ? "none applied" : string.Join(", ", Enum.GetValues<FaultKind>().Where(Faults.ContainsKey).Select(k => $"{k} {Faults[k]}")))} |");
        sb.AppendLine(inv, $"| trials | {Cell(Trials)} |");
        sb.AppendLine(inv, $"| epochs trained (engine log) | {Cell(Epochs)} |");
        foreach (var invariant in Invariants)
        {
            var violations = Violations.GetValueOrDefault(invariant) ?? [];
            var checkedCount = Checked.GetValueOrDefault(invariant);
            var verdict = violations.Count == 0
                ? (checkedCount > 0 || invariant == "second sweep run joins and completes" && !Faults.ContainsKey(FaultKind.SecondSweepRun) ? "held" : "held (nothing to check)")
                : $"**VIOLATED** ({violations.Count}): " + string.Join("; ", violations.Take(3).Select(Cell)) + (violations.Count > 3 ? $"; ... {violations.Count - 3} more" : "");
            if (invariant == "second sweep run joins and completes" && !Faults.ContainsKey(FaultKind.SecondSweepRun) && violations.Count == 0)
                verdict = "not drawn";
            var count = checkedCount > 0 ? $" [{checkedCount} checked]" : "";
            sb.AppendLine(inv, $"| {invariant} | {verdict}{count} |");
        }
        sb.AppendLine(inv, $"| exits the harness did not cause | {(UnpromptedExits.Count == 0 ? "none" : Cell(string.Join("; ", UnpromptedExits.Take(3))) + (UnpromptedExits.Count > 3 ? $"; ... {UnpromptedExits.Count - 3} more" : ""))} |");
        sb.AppendLine(inv, $"| harness errors | {(HarnessErrors.Count == 0 ? "none" : "**" + Cell(string.Join("; ", HarnessErrors)) + "**")} |");
        if (Notes.Count > 0) sb.AppendLine(inv, $"| notes | {Cell(string.Join("; ", Notes.Take(6)))} |");
        sb.AppendLine(inv, $"| verdict | {(Failed ? "**FAILED**" : "passed")} |");
        return sb.ToString();
    }
}
