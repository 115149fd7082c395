using System.Globalization;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Data.Ingest;
using Spectre.Console;

namespace Orchestrator.Cli.Output;

/// <summary>Tables about packed datasets: the per-class, per-split counts (as the paper's Table 1) and QC outcomes.</summary>
public static class DataTables
{
    public static Table Splits(DatasetManifest manifest)
    {
        var rows = SplitTable.Of(manifest);
        var table = new Table().Title(manifest.Synthetic ? "Images per class and split (SYNTHETIC data)" : "Images per class and split")
            .AddColumns("class", "train", "val", "test", "total", "proportion");
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Class), N(r.Train), N(r.Validation), N(r.Test), N(r.Total),
                r.Percent.ToString("F2", CultureInfo.InvariantCulture) + "%");
        table.AddRow("total", N(rows.Sum(r => r.Train)), N(rows.Sum(r => r.Validation)), N(rows.Sum(r => r.Test)),
            N(rows.Sum(r => r.Total)), "100%");
        return table;
    }

    public static Table Qc(QcReport qc)
    {
        var table = new Table().Title($"Quality control: {N(qc.Examined)} examined, {N(qc.Accepted)} kept, {N(qc.Rejected.Count)} left out")
            .AddColumns(["class", "kept", .. qc.RejectedByReason.Keys]);
        foreach (var (label, kept, leftOut) in qc.CountsByClass())
            table.AddRow([Markup.Escape(label.Length == 0 ? "(no class)" : label), N(kept), .. leftOut.Select(N)]);
        return table;
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}
