namespace Orchestrator.Domain.Data.Ingest;

/// <summary>
/// The classes of an ingested dataset and how source labels map to them. Labels match class names ignoring case, and
/// '_' matches ' ' (folder names like "Pleural_Effusion"). Without a given list the classes are the labels found,
/// the paper's seven (<see cref="CxrClasses"/>) first in the paper's order under their canonical names, others after.
/// </summary>
public sealed class ClassList
{
    private readonly Dictionary<string, int> _index;

    private ClassList(IReadOnlyList<string> names)
    {
        Names = names;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
            if (!_index.TryAdd(Key(names[i]), i))
                throw new FormatException($"--classes: '{names[i]}' is listed twice");
    }

    public IReadOnlyList<string> Names { get; }

    public static ClassList Given(IEnumerable<string> names)
    {
        var list = names.Select(n => n.Trim()).ToArray();
        if (list.Length < 2 || list.Any(string.IsNullOrEmpty))
            throw new FormatException("--classes: give at least two non-empty class names, comma-separated");
        return new ClassList(list);
    }

    public static ClassList FromLabels(IEnumerable<string> labels)
    {
        var paper = CxrClasses.Names.ToDictionary(Key, n => n, StringComparer.Ordinal);
        var found = labels.Select(l => l.Trim()).Where(l => l.Length > 0)
            .GroupBy(Key, StringComparer.Ordinal)
            .Select(g => paper.GetValueOrDefault(g.Key) ?? g.Min(StringComparer.Ordinal)!)
            .ToArray();
        var ordered = CxrClasses.Names.Where(found.Contains)
            .Concat(found.Where(f => !CxrClasses.Names.Contains(f)).Order(StringComparer.Ordinal))
            .ToArray();
        if (ordered.Length < 2)
            throw new FormatException($"the source has {ordered.Length} class(es); a classifier needs at least two");
        return new ClassList(ordered);
    }

    /// <summary>The class index of a source label, or -1 when it is not one of the classes.</summary>
    public int IndexOf(string label) => _index.GetValueOrDefault(Key(label), -1);

    private static string Key(string label) => label.Trim().Replace('_', ' ').ToLowerInvariant();
}
