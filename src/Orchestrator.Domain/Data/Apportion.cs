namespace Orchestrator.Domain.Data;

/// <summary>Hamilton's largest-remainder method: integer parts of a total in given proportions.</summary>
public static class Apportion
{
    /// <summary>
    /// Splits <paramref name="total"/> into integers proportional to <paramref name="weights"/>, summing to
    /// <paramref name="total"/>; ties in the remainder go to the earlier weight.
    /// </summary>
    public static int[] LargestRemainder(int total, IReadOnlyList<double> weights)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        var sum = weights.Sum();
        if (weights.Count == 0 || !(sum > 0) || weights.Any(w => w < 0 || !double.IsFinite(w)))
            throw new ArgumentException("weights must be finite, non-negative and not all zero", nameof(weights));

        var parts = new int[weights.Count];
        var remainders = new double[weights.Count];
        var given = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            var exact = total * weights[i] / sum;
            parts[i] = (int)Math.Floor(exact);
            remainders[i] = exact - parts[i];
            given += parts[i];
        }

        var order = Enumerable.Range(0, weights.Count)
            .OrderByDescending(i => remainders[i]).ThenBy(i => i).ToArray();
        for (var k = 0; given < total; k = (k + 1) % order.Length, given++)
            parts[order[k]]++;
        return parts;
    }
}
