using Orchestrator.Domain.Randomness;

namespace Orchestrator.Domain.Data;

/// <summary>
/// Assigns whole patients to train/val/test, stratified by class, so that no patient spans two splits.
/// </summary>
public static class PatientSplitter
{
    /// <summary>
    /// Maps every patient in <paramref name="images"/> to <see cref="Splits.Train"/>, <see cref="Splits.Validation"/>
    /// or <see cref="Splits.Test"/>. A patient's class is their most frequent label (ties: the smaller label).
    /// Within each class the patients are shuffled by <paramref name="seed"/> and cut by largest remainder, so each
    /// split gets about its share of every class; a class with at least three patients gets at least one in every
    /// split whose share is positive. The result depends only on the set of (patient, label) pairs and the seed,
    /// not on the order of <paramref name="images"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Assign(
        IReadOnlyList<(string Patient, int Label)> images, int seed, double train = 0.8, double val = 0.1)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (!(train > 0) || !(val >= 0) || !(train + val <= 1.0 + 1e-12))
            throw new ArgumentOutOfRangeException(nameof(train),
                $"need train > 0, val >= 0 and train + val <= 1 (got train={train}, val={val})");
        var test = Math.Max(0.0, 1.0 - train - val);
        double[] shares = [train, val, test];
        string[] names = [Splits.Train, Splits.Validation, Splits.Test];

        var labelCounts = new Dictionary<string, Dictionary<int, int>>(StringComparer.Ordinal);
        foreach (var (patient, label) in images)
        {
            if (string.IsNullOrEmpty(patient))
                throw new ArgumentException("every image needs a patient id", nameof(images));
            if (!labelCounts.TryGetValue(patient, out var counts))
                labelCounts[patient] = counts = [];
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }

        var byClass = labelCounts
            .Select(p => (Patient: p.Key, Class: p.Value.OrderByDescending(c => c.Value).ThenBy(c => c.Key).First().Key))
            .GroupBy(p => p.Class)
            .OrderBy(g => g.Key);

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in byClass)
        {
            var patients = group.Select(p => p.Patient).Order(StringComparer.Ordinal).ToList();
            // One stream per class, so adding or removing a class leaves the others' assignment unchanged.
            var rng = new SplitMix64(SplitMix64.Derive(unchecked((ulong)(long)seed), unchecked((ulong)(long)group.Key)));
            rng.Shuffle(patients);

            var sizes = Apportion.LargestRemainder(patients.Count, shares);
            if (patients.Count >= 3)
            {
                for (var s = 1; s < sizes.Length; s++)
                {
                    if (shares[s] > 0 && sizes[s] == 0)
                    {
                        var donor = Enumerable.Range(0, sizes.Length).MaxBy(i => sizes[i]);
                        sizes[donor]--;
                        sizes[s]++;
                    }
                }
            }

            var next = 0;
            for (var s = 0; s < sizes.Length; s++)
                for (var k = 0; k < sizes[s]; k++)
                    result[patients[next++]] = names[s];
        }
        return result;
    }

    /// <summary>Patients whose images carry more than one label, with images per label; ordered by patient id.</summary>
    public static IReadOnlyList<(string Patient, IReadOnlyDictionary<int, int> Labels)> Conflicts(
        IReadOnlyList<(string Patient, int Label)> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images
            .GroupBy(i => i.Patient, StringComparer.Ordinal)
            .Where(g => g.Select(i => i.Label).Distinct().Skip(1).Any())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyDictionary<int, int>)g.GroupBy(i => i.Label).OrderBy(l => l.Key)
                .ToDictionary(l => l.Key, l => l.Count())))
            .ToArray();
    }
}
