namespace Orchestrator.Reporting.Statistics;

internal static class Guard
{
    public static void Paired(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
            throw new ArgumentException($"paired samples differ in length: {x.Count} and {y.Count}");
        Finite(x, nameof(x));
        Finite(y, nameof(y));
    }

    public static void Finite(IReadOnlyList<double> values, string name)
    {
        for (var i = 0; i < values.Count; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is not a finite number ({values[i]})");
    }
}
