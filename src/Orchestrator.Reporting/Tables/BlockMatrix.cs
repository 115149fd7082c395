using System.Globalization;

namespace Orchestrator.Reporting.Tables;

/// <summary>
/// Scores of treatments (columns) on blocks (rows, e.g. backbones): <c>Values[block][treatment]</c>, treatments in
/// the order they were asked for.
/// </summary>
public sealed record BlockMatrix(IReadOnlyList<string> Treatments, IReadOnlyList<IReadOnlyList<double>> Values)
{
    public int Blocks => Values.Count;

    public IReadOnlyList<double> Column(int treatment) => Values.Select(row => row[treatment]).ToArray();

    /// <summary>Takes <paramref name="columns"/> of <paramref name="table"/>; each cell must be a finite number.</summary>
    public static BlockMatrix FromCsv(CsvTable table, IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new CsvException("no columns were named");
        var repeated = columns.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new CsvException($"column '{repeated.Key}' is named twice");
        var indexes = columns.Select(c =>
        {
            var index = table.IndexOf(c);
            return index >= 0 ? index : throw new CsvException($"no column '{c}' in the CSV (its columns: {string.Join(", ", table.Header.Select(h => $"'{h}'"))})");
        }).ToArray();

        var values = new List<IReadOnlyList<double>>(table.Rows.Count);
        foreach (var row in table.Rows)
        {
            var cells = new double[indexes.Length];
            for (var j = 0; j < indexes.Length; j++)
            {
                var text = row.Fields[indexes[j]].Trim();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                    throw new CsvException($"row {row.Number} (line {row.Line}), column '{columns[j]}': '{text}' is not a number");
                cells[j] = value;
            }
            values.Add(cells);
        }
        return new BlockMatrix(columns.ToArray(), values);
    }
}
