namespace Orchestrator.Domain.Sampling;

/// <summary>Class weights for weighted cross entropy.</summary>
public static class ClassWeights
{
    /// <summary>w_c = N / (C * n_c); 0 for a class with no samples.</summary>
    public static float[] Compute(IReadOnlyList<int> labels, int classes)
    {
        var counts = Sampler.CountClasses(labels, classes);
        var weights = new float[classes];
        for (var c = 0; c < classes; c++)
            weights[c] = counts[c] == 0 ? 0f : (float)((double)labels.Count / ((double)classes * counts[c]));
        return weights;
    }
}

internal static class Sampler
{
    public static int[] CountClasses(IReadOnlyList<int> labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var counts = new int[classes];
        for (var i = 0; i < labels.Count; i++)
        {
            var y = labels[i];
            if ((uint)y >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), $"label {y} at {i} is not in [0, {classes})");
            counts[y]++;
        }
        return counts;
    }
}
