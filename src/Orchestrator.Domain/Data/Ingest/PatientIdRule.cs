using System.Text.RegularExpressions;

namespace Orchestrator.Domain.Data.Ingest;

/// <summary>
/// Where an image's patient id comes from: the source's own (a CSV's patient_id), else a user pattern on the image's
/// relative path (first capture group, or the whole match), else the image is its own patient. The last is a
/// fallback only: a patient's images may then land in different splits, which <see cref="Describe"/> says.
/// </summary>
public sealed class PatientIdRule
{
    public const string OwnPatientPrefix = "image:";

    private readonly Regex? _pattern;

    public PatientIdRule(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern)) return;
        try
        {
            _pattern = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"--patient-pattern: '{pattern}' is not a valid regular expression ({e.Message})");
        }
    }

    public string IdOf(SourceImage image)
    {
        if (image.Patient is not null) return image.Patient;
        var match = _pattern?.Match(image.Path);
        if (match is { Success: true })
        {
            var id = match.Groups.Count > 1 && match.Groups[1].Success ? match.Groups[1].Value : match.Value;
            if (id.Length > 0) return id;
        }
        return OwnPatientPrefix + image.Path;
    }

    /// <summary>The sentence the manifest records about patient ids, given how many images had each kind.</summary>
    public string Describe(IReadOnlyList<SourceImage> images)
    {
        var fromSource = images.Count(i => i.Patient is not null);
        var own = images.Count(i => IdOf(i).StartsWith(OwnPatientPrefix, StringComparison.Ordinal) && i.Patient is null);
        var fromPattern = images.Count - fromSource - own;
        var parts = new List<string>();
        if (fromSource > 0) parts.Add($"{fromSource} from the source's {CsvSource.PatientColumn} column");
        if (fromPattern > 0) parts.Add($"{fromPattern} from the pattern '{_pattern}' on the file path");
        if (own > 0) parts.Add($"{own} without one, each its own patient (a patient's images may then span splits)");
        return string.Join("; ", parts);
    }
}
