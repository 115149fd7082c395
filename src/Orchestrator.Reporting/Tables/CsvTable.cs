using System.Text;

namespace Orchestrator.Reporting.Tables;

/// <summary>A CSV file's content is malformed or does not fit what was asked of it.</summary>
public sealed class CsvException(string message) : FormatException(message);

/// <summary>One data row of a CSV file: its 1-based number among the data rows and the file line it starts on.</summary>
public sealed record CsvRow(int Number, int Line, IReadOnlyList<string> Fields);

/// <summary>
/// A CSV table: a header row, then data rows, comma separated. A field may be quoted with double quotes, inside
/// which commas, line breaks and doubled quotes ("") are literal. Blank lines are skipped; every other row must
/// have as many fields as the header.
/// </summary>
public sealed record CsvTable(IReadOnlyList<string> Header, IReadOnlyList<CsvRow> Rows)
{
    public static CsvTable Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = Records(text.StartsWith('\uFEFF') ? text[1..] : text).ToList();
        if (records.Count == 0) throw new CsvException("the file is empty: a header row is needed");
        var header = records[0].Fields.Select(f => f.Trim()).ToArray();
        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new CsvException($"the header names column '{duplicate.Key}' twice");
        var rows = new List<CsvRow>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count != header.Length)
                throw new CsvException($"line {line} has {fields.Count} field(s) but the header has {header.Length}");
            rows.Add(new CsvRow(rows.Count + 1, line, fields));
        }
        return new CsvTable(header, rows);
    }

    public int IndexOf(string column) => Array.IndexOf(Header.ToArray(), column);

    private static IEnumerable<(int Line, IReadOnlyList<string> Fields)> Records(string text)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var start = 1;
        var quoted = false;
        var fieldWasQuoted = false;
        var i = 0;
        while (i < text.Length)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                    quoted = false;
                    i++;
                    continue;
                }
                if (ch == '\n') line++;
                field.Append(ch);
                i++;
                continue;
            }
            switch (ch)
            {
                case '"' when field.ToString().Trim().Length == 0 && !fieldWasQuoted:
                    quoted = true;
                    fieldWasQuoted = true;
                    field.Clear();
                    i++;
                    break;
                case '"':
                    throw new CsvException($"line {line}: a quote inside an unquoted field (quote the whole field and double the quote)");
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldWasQuoted = false;
                    i++;
                    break;
                case '\r' or '\n':
                    fields.Add(field.ToString());
                    if (!(fields.Count == 1 && fields[0].Trim().Length == 0 && !fieldWasQuoted))
                        yield return (start, fields.ToArray());
                    fields.Clear();
                    field.Clear();
                    fieldWasQuoted = false;
                    i += ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                    line++;
                    start = line;
                    break;
                default:
                    if (fieldWasQuoted && !char.IsWhiteSpace(ch))
                        throw new CsvException($"line {line}: text after a closing quote");
                    if (!fieldWasQuoted) field.Append(ch);
                    i++;
                    break;
            }
        }
        if (quoted) throw new CsvException($"line {start}: a quoted field is never closed");
        fields.Add(field.ToString());
        if (!(fields.Count == 1 && fields[0].Trim().Length == 0 && !fieldWasQuoted))
            yield return (start, fields.ToArray());
    }
}
