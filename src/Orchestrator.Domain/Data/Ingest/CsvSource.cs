using System.Text;

namespace Orchestrator.Domain.Data.Ingest;

/// <summary>
/// Reads an ingest CSV: a header naming at least <c>path</c> and <c>label</c> (and usually <c>patient_id</c>), then one
/// image per record. RFC 4180 quoting (fields in double quotes, "" for a quote, line breaks inside quotes); columns
/// beyond the three are kept per image. Any malformed record is a <see cref="FormatException"/> naming its line.
/// </summary>
public static class CsvSource
{
    public const string PathColumn = "path";
    public const string LabelColumn = "label";
    public const string PatientColumn = "patient_id";

    public static IReadOnlyList<SourceImage> Parse(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = Records(text, name).ToList();
        if (records.Count == 0) throw new FormatException($"{name}: empty; expected a header line with path,label,patient_id");

        var (headerLine, header) = records[0];
        var columns = header.Select(h => h.Trim()).ToArray();
        var duplicate = columns.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new FormatException($"{name}:{headerLine}: column '{duplicate.Key}' appears twice");
        int Column(string wanted) => Array.FindIndex(columns, c => c.Equals(wanted, StringComparison.OrdinalIgnoreCase));
        var path = Column(PathColumn);
        var label = Column(LabelColumn);
        var patient = Column(PatientColumn);
        if (path < 0 || label < 0)
            throw new FormatException($"{name}:{headerLine}: header must name the columns '{PathColumn}' and '{LabelColumn}' (and '{PatientColumn}'); got '{string.Join(',', columns)}'");

        var images = new List<SourceImage>(records.Count - 1);
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count != columns.Length)
                throw new FormatException($"{name}:{line}: {fields.Count} fields, but the header has {columns.Length}");
            if (string.IsNullOrWhiteSpace(fields[path])) throw new FormatException($"{name}:{line}: empty path");
            if (string.IsNullOrWhiteSpace(fields[label])) throw new FormatException($"{name}:{line}: empty label");
            Dictionary<string, string>? extra = null;
            for (var c = 0; c < columns.Length; c++)
            {
                if (c == path || c == label || c == patient) continue;
                (extra ??= new Dictionary<string, string>(StringComparer.Ordinal))[columns[c]] = fields[c];
            }
            var patientId = patient >= 0 && !string.IsNullOrWhiteSpace(fields[patient]) ? fields[patient].Trim() : null;
            images.Add(new SourceImage(fields[path].Trim().Replace('\\', '/'), fields[label].Trim(), patientId, line, extra));
        }
        return images;
    }

    /// <summary>Records with the line each starts on; blank lines are skipped.</summary>
    private static IEnumerable<(int Line, List<string> Fields)> Records(string text, string name)
    {
        var line = 1;
        var i = 0;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        while (i < text.Length)
        {
            var start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            var blank = true;
            while (true)
            {
                if (i < text.Length && text[i] == '"')
                {
                    blank = false;
                    i++;
                    while (true)
                    {
                        if (i >= text.Length) throw new FormatException($"{name}:{start}: a quoted field is not closed");
                        var ch = text[i++];
                        if (ch == '"')
                        {
                            if (i < text.Length && text[i] == '"') { field.Append('"'); i++; continue; }
                            break;
                        }
                        if (ch == '\n') line++;
                        field.Append(ch);
                    }
                    if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                        throw new FormatException($"{name}:{line}: text after a closing quote");
                }
                else
                {
                    while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                    {
                        if (text[i] == '"') throw new FormatException($"{name}:{line}: a quote inside an unquoted field");
                        field.Append(text[i++]);
                    }
                }
                fields.Add(field.ToString());
                if (field.Length > 0) blank = false;
                field.Clear();
                if (i < text.Length && text[i] == ',') { i++; blank = false; continue; }
                break;
            }
            if (i < text.Length && text[i] == '\r') i++;
            if (i < text.Length && text[i] == '\n') i++;
            line++;
            if (!blank) yield return (start, fields);
        }
    }
}
