using Orchestrator.Domain.Data;
using Orchestrator.Domain.Data.Ingest;

namespace Orchestrator.Engine.Datasets;

/// <summary><c>data show</c>: a dataset's manifest with its per-class, per-split counts and its QC report (if ingested).</summary>
public sealed record DatasetSummary(
    string Directory, DatasetManifest Manifest, int Patients, IReadOnlyList<SplitTableRow> Splits, QcReport? Qc)
{
    public static DatasetSummary Load(string directory)
    {
        // Open checks the manifest against the images file, so a summary is never shown for a broken dataset.
        using var dataset = PackedDataset.Open(directory);
        var qcPath = Path.Combine(directory, QcReport.JsonFileName);
        var qc = File.Exists(qcPath) ? QcReport.FromJson(File.ReadAllText(qcPath)) : null;
        var manifest = dataset.Manifest;
        return new DatasetSummary(dataset.Directory, manifest,
            manifest.Items.Select(i => i.Patient).Distinct(StringComparer.Ordinal).Count(), SplitTable.Of(manifest), qc);
    }
}
