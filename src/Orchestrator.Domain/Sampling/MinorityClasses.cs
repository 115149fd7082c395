namespace Orchestrator.Domain.Sampling;

/// <summary>The classes whose images are augmented: those with a share of the training labels below a threshold.</summary>
public static class MinorityClasses
{
    /// <summary>
    /// Flags per class: share n_c / N below <paramref name="share"/>, or below 1/C when <paramref name="share"/> is 0.
    /// With balanced classes (every share exactly 1/C) no class is a minority.
    /// </summary>
    public static bool[] Of(IReadOnlyList<int> labels, int classes, double share = 0)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (!(share >= 0 && share < 1)) throw new ArgumentOutOfRangeException(nameof(share), share, "must be in [0, 1)");
        var counts = new int[classes];
        foreach (var label in labels) counts[label]++;
        var threshold = share > 0 ? share : 1.0 / classes;
        // Compared as n_c < threshold * N in integers where possible, so 1/C itself is exact.
        return counts.Select(n => share > 0 ? n < threshold * labels.Count : (long)n * classes < labels.Count).ToArray();
    }
}
