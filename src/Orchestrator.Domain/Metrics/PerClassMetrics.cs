namespace Orchestrator.Domain.Metrics;

/// <summary>Precision, recall and F1 of one class, and how many samples truly belong to it.</summary>
public sealed record ClassScores(double Precision, double Recall, double F1, int Support);

/// <summary>
/// Per-class scores and balanced accuracy from a confusion matrix (<c>confusion[true][predicted]</c>).
/// Precision TP/(TP+FP), recall TP/(TP+FN) and F1 2TP/(2TP+FP+FN) are 0 where they are 0/0, as scikit-learn's
/// <c>precision_recall_fscore_support(..., zero_division=0)</c>. Balanced accuracy is the mean recall over the
/// classes present in the true labels (support &gt; 0), as scikit-learn's <c>balanced_accuracy_score</c>.
/// </summary>
public sealed record PerClassMetrics(IReadOnlyList<ClassScores> Classes, double BalancedAccuracy)
{
    public static PerClassMetrics FromConfusion(IReadOnlyList<IReadOnlyList<int>> confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        var k = confusion.Count;
        for (var c = 0; c < k; c++)
            if (confusion[c].Count != k)
                throw new ArgumentException($"confusion row {c} has {confusion[c].Count} cells; the matrix has {k} rows");

        var classes = new ClassScores[k];
        double recallSum = 0;
        var present = 0;
        for (var c = 0; c < k; c++)
        {
            var tp = confusion[c][c];
            int fn = 0, fp = 0;
            for (var o = 0; o < k; o++)
            {
                if (o == c) continue;
                fn += confusion[c][o];
                fp += confusion[o][c];
            }
            var support = tp + fn;
            var recall = Ratio(tp, support);
            classes[c] = new ClassScores(Ratio(tp, tp + fp), recall, Ratio(2 * tp, 2 * tp + fp + fn), support);
            if (support > 0)
            {
                recallSum += recall;
                present++;
            }
        }
        return new PerClassMetrics(classes, present == 0 ? 0 : recallSum / present);
    }

    /// <summary>Each row divided by its sum (the share of a true class given each prediction); an empty row stays 0.</summary>
    public static double[][] RowNormalized(IReadOnlyList<IReadOnlyList<int>> confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        return confusion.Select(row =>
        {
            var sum = row.Sum();
            return row.Select(v => Ratio(v, sum)).ToArray();
        }).ToArray();
    }

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}
