using Orchestrator.Domain.Randomness;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Sampling;

/// <summary>What one training epoch feeds the engine: the sample order and the loss weights for it.</summary>
public sealed record EpochPlan(int[] Order, float[] LossWeights)
{
    /// <summary>
    /// The plan for <paramref name="epoch"/> under a class-balance mode (see <see cref="ClassBalance"/>).
    /// <c>labels[i]</c> is the class of <c>indices[i]</c>; deterministic in (seed, epoch).
    /// </summary>
    public static EpochPlan For(ClassBalance classBalance, IReadOnlyList<int> indices, IReadOnlyList<int> labels, int classes, int seed, int epoch) =>
        classBalance switch
        {
            ClassBalance.Sampler => Balanced(indices, labels, classes, seed, epoch),
            ClassBalance.Both => new EpochPlan(BalancedSampler.EpochOrder(indices, labels, classes, seed, epoch), ClassWeights.Compute(labels, classes)),
            ClassBalance.Loss => new EpochPlan(Shuffled(indices, seed, epoch), ClassWeights.Compute(labels, classes)),
        };

    private static EpochPlan Balanced(IReadOnlyList<int> indices, IReadOnlyList<int> labels, int classes, int seed, int epoch)
    {
        var order = BalancedSampler.EpochOrder(indices, labels, classes, seed, epoch);
        return new EpochPlan(order, ClassWeights.Compute(LabelsOf(order, indices, labels), classes));
    }

    private static int[] Shuffled(IReadOnlyList<int> indices, int seed, int epoch)
    {
        var order = indices.ToArray();
        var rng = new SplitMix64(SplitMix64.Derive(unchecked((ulong)(long)seed), unchecked((ulong)(long)epoch)));
        rng.Shuffle(order);
        return order;
    }

    private static int[] LabelsOf(int[] order, IReadOnlyList<int> indices, IReadOnlyList<int> labels)
    {
        var labelOf = new Dictionary<int, int>(indices.Count);
        for (var i = 0; i < indices.Count; i++) labelOf[indices[i]] = labels[i];
        return Array.ConvertAll(order, index => labelOf[index]);
    }
}
