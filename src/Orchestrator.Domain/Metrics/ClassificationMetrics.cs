namespace Orchestrator.Domain.Metrics;

/// <summary>
/// Accuracy, macro-F1 and the confusion matrix (<c>ConfusionMatrix[true][predicted]</c>) of one evaluation.
/// </summary>
public sealed record ClassificationMetrics(double Accuracy, double MacroF1, int[][] ConfusionMatrix)
{
    /// <summary>
    /// Macro-F1 is the plain mean of the per-class F1 = 2TP / (2TP + FP + FN) over all <paramref name="classes"/>
    /// classes, with F1 = 0 where that is 0/0 (a class neither present nor predicted). This is scikit-learn's
    /// <c>f1_score(y, p, labels=range(classes), average='macro', zero_division=0)</c>; without <c>labels</c>,
    /// scikit-learn would instead skip classes absent from both. No samples at all: accuracy and macro-F1 are 0.
    /// </summary>
    public static ClassificationMetrics Compute(IReadOnlyList<int> labels, IReadOnlyList<int> predictions, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (labels.Count != predictions.Count)
            throw new ArgumentException($"{labels.Count} labels but {predictions.Count} predictions");

        var confusion = new int[classes][];
        for (var c = 0; c < classes; c++) confusion[c] = new int[classes];
        var correct = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            int y = labels[i], p = predictions[i];
            if ((uint)y >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(labels), $"label {y} at {i} is not in [0, {classes})");
            if ((uint)p >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(predictions), $"prediction {p} at {i} is not in [0, {classes})");
            confusion[y][p]++;
            if (y == p) correct++;
        }

        var accuracy = labels.Count == 0 ? 0 : (double)correct / labels.Count;
        var macroF1 = labels.Count == 0 ? 0 : PerClassMetrics.FromConfusion(confusion).Classes.Average(c => c.F1);
        return new ClassificationMetrics(accuracy, macroF1, confusion);
    }
}
