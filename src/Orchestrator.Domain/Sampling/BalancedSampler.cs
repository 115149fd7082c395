using Orchestrator.Domain.Randomness;

namespace Orchestrator.Domain.Sampling;

/// <summary>Class-balanced sampling with replacement for one training epoch.</summary>
public static class BalancedSampler
{
    /// <summary>
    /// Draws <c>indices.Count</c> entries of <paramref name="indices"/> with replacement, each with probability
    /// proportional to 1 / n(its class), so every class present is equally likely. <c>labels[i]</c> is the class
    /// of <c>indices[i]</c>. The order depends only on (<paramref name="seed"/>, <paramref name="epoch"/>).
    /// </summary>
    public static int[] EpochOrder(IReadOnlyList<int> indices, IReadOnlyList<int> labels, int classes, int seed, int epoch)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (labels is null || labels.Count != indices.Count)
            throw new ArgumentException($"need one label per index ({indices.Count} indices, {labels?.Count ?? 0} labels)", nameof(labels));
        var counts = Sampler.CountClasses(labels, classes);
        if (indices.Count == 0) return [];

        // Picking a class uniformly, then a member of it uniformly, is exactly the 1/n_c weighting.
        var members = new int[classes][];
        var filled = new int[classes];
        for (var c = 0; c < classes; c++) members[c] = new int[counts[c]];
        for (var i = 0; i < indices.Count; i++) members[labels[i]][filled[labels[i]]++] = indices[i];
        var present = Enumerable.Range(0, classes).Where(c => counts[c] > 0).ToArray();

        var rng = new SplitMix64(SplitMix64.Derive(unchecked((ulong)(long)seed), unchecked((ulong)(long)epoch)));
        var order = new int[indices.Count];
        for (var i = 0; i < order.Length; i++)
        {
            var pool = members[present[rng.NextInt(present.Length)]];
            order[i] = pool[rng.NextInt(pool.Length)];
        }
        return order;
    }
}
