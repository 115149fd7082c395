namespace Orchestrator.Domain.Data;

/// <summary>One class's row of <see cref="SplitTable"/>: images per split, in all, and its share of the dataset.</summary>
public sealed record SplitTableRow(string Class, int Train, int Validation, int Test, int Total, double Percent);

/// <summary>Images per class and split, as the paper's Table 1 (class, counts, proportion of the whole set).</summary>
public static class SplitTable
{
    public static IReadOnlyList<SplitTableRow> Of(DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var counts = new int[manifest.Classes.Count, 3];
        foreach (var item in manifest.Items)
        {
            var s = item.Split switch { Splits.Train => 0, Splits.Validation => 1, _ => 2 };
            counts[item.Label, s]++;
        }
        var all = Math.Max(1, manifest.Items.Count);
        return manifest.Classes
            .Select((name, c) =>
            {
                var total = counts[c, 0] + counts[c, 1] + counts[c, 2];
                return new SplitTableRow(name, counts[c, 0], counts[c, 1], counts[c, 2], total, 100.0 * total / all);
            })
            .ToArray();
    }
}
