using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Domain.Data.Ingest;

/// <summary>Why an image was left out of an ingested dataset (the values appear in qc.json).</summary>
public static class QcReasons
{
    public const string Missing = "missing-file";
    public const string Empty = "empty";
    public const string NotAnImage = "not-an-image";
    public const string Truncated = "truncated";
    public const string Unreadable = "unreadable";
    public const string Constant = "constant";
    public const string Unsupported = "unsupported-format";
    public const string Duplicate = "duplicate";
    public const string UnknownClass = "unknown-class";

    /// <summary>In the order the checks run; also the column order of the readable table.</summary>
    public static readonly IReadOnlyList<string> All =
        [UnknownClass, Missing, Empty, NotAnImage, Unsupported, Truncated, Unreadable, Constant, Duplicate];
}

/// <summary>One image left out: its source path, its label as written, why, and (for duplicates) of what.</summary>
public sealed record QcRejection(string Source, string Label, string Reason, string? Detail = null);

/// <summary>A patient whose images carry more than one label: images per label (all kept; the split uses the majority).</summary>
public sealed record PatientConflict(string Patient, IReadOnlyDictionary<string, int> Labels);

/// <summary>The quality-control outcome of one ingest: written as qc.json and qc.txt next to the manifest.</summary>
public sealed record QcReport(
    int Examined,
    IReadOnlyDictionary<string, int> AcceptedByClass,
    IReadOnlyList<QcRejection> Rejected,
    IReadOnlyList<PatientConflict> ConflictingPatients)
{
    public const string JsonFileName = "qc.json";
    public const string TableFileName = "qc.txt";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public int Accepted => AcceptedByClass.Values.Sum();

    /// <summary>Rejections per reason (only reasons that occurred), in <see cref="QcReasons.All"/> order.</summary>
    public IReadOnlyDictionary<string, int> RejectedByReason =>
        QcReasons.All.Select(r => (r, n: Rejected.Count(x => x.Reason == r))).Where(x => x.n > 0)
            .ToDictionary(x => x.r, x => x.n, StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static QcReport FromJson(string json) =>
        JsonSerializer.Deserialize<QcReport>(json, Json) ?? throw new InvalidDataException("qc.json is empty");

    /// <summary>
    /// Per class as labelled in the source (kept classes first, then labels seen only among rejections): images kept,
    /// and images left out for each reason of <see cref="RejectedByReason"/>, in that order.
    /// </summary>
    public IReadOnlyList<(string Class, int Kept, int[] LeftOut)> CountsByClass()
    {
        var reasons = RejectedByReason.Keys.ToArray();
        return AcceptedByClass.Keys.Concat(Rejected.Select(r => r.Label)).Distinct(StringComparer.Ordinal)
            .Select(label => (label, AcceptedByClass.GetValueOrDefault(label),
                reasons.Select(r => Rejected.Count(x => x.Label == label && x.Reason == r)).ToArray()))
            .ToArray();
    }

    /// <summary>The readable table of <see cref="CountsByClass"/> with a total row (qc.txt).</summary>
    public string ToTable()
    {
        string[] head = ["class", "kept", .. RejectedByReason.Keys];
        var rows = CountsByClass()
            .Select(r => (string[])[r.Class, Count(r.Kept), .. r.LeftOut.Select(Count)])
            .Append(["total", Count(Accepted), .. RejectedByReason.Values.Select(Count)])
            .ToArray();
        var widths = head.Select((h, c) => Math.Max(h.Length, rows.Max(r => r[c].Length))).ToArray();

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"quality control: {Examined} images examined, {Accepted} kept, {Rejected.Count} left out\n");
        void Row(string[] cells) => text.Append(string.Join("  ",
            cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i])))).Append('\n');
        Row(head);
        foreach (var row in rows) Row(row);
        if (ConflictingPatients.Count > 0)
            text.Append(CultureInfo.InvariantCulture, $"{ConflictingPatients.Count} patient(s) with conflicting labels (kept; split by their majority label); see {JsonFileName}\n");
        return text.ToString();
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
}
