namespace Orchestrator.Reporting.Statistics;

/// <summary>One confidence bin: [Lower, Upper), the last bin closed at 1. MeanConfidence and Accuracy are 0 when Count is 0.</summary>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double MeanConfidence, double Accuracy);

/// <summary>Expected calibration error and the bins it is computed from (also the points of a reliability diagram).</summary>
public sealed record CalibrationResult(double ExpectedCalibrationError, IReadOnlyList<CalibrationBin> Bins, int Samples);

/// <summary>
/// Calibration of a classifier's top-label confidence (Guo et al. 2017). A sample's confidence is its largest
/// class probability and its prediction the class holding it (the first such class on a tie); it is correct when
/// that is the true label. Samples fall into <c>bins</c> equal-width bins of confidence, bin b = [b/B, (b+1)/B)
/// with the last bin closed at 1. ECE = sum over bins of (n_b / N) |accuracy_b - mean confidence_b|.
/// </summary>
public static class Calibration
{
    public const int DefaultBins = 15;

    public static CalibrationResult Compute(IReadOnlyList<int> labels, IReadOnlyList<IReadOnlyList<float>> probabilities, int bins = DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (labels.Count != probabilities.Count)
            throw new ArgumentException($"{labels.Count} labels but {probabilities.Count} probability rows");
        if (labels.Count == 0) throw new ArgumentException("no samples to calibrate");

        var counts = new int[bins];
        var confidenceSums = new double[bins];
        var correct = new int[bins];
        for (var i = 0; i < labels.Count; i++)
        {
            var row = probabilities[i];
            if (row.Count == 0) throw new ArgumentException($"probability row {i} is empty");
            var best = 0;
            for (var c = 1; c < row.Count; c++)
                if (row[c] > row[best]) best = c;
            double confidence = row[best];
            if (!(confidence >= 0 && confidence <= 1))
                throw new ArgumentException($"probability row {i}: top probability {confidence} is not in [0, 1]");
            var b = Math.Min((int)(confidence * bins), bins - 1);
            counts[b]++;
            confidenceSums[b] += confidence;
            if (best == labels[i]) correct[b]++;
        }

        var result = new CalibrationBin[bins];
        double ece = 0;
        for (var b = 0; b < bins; b++)
        {
            var meanConfidence = counts[b] == 0 ? 0 : confidenceSums[b] / counts[b];
            var accuracy = counts[b] == 0 ? 0 : (double)correct[b] / counts[b];
            result[b] = new CalibrationBin((double)b / bins, (double)(b + 1) / bins, counts[b], meanConfidence, accuracy);
            ece += (double)counts[b] / labels.Count * Math.Abs(accuracy - meanConfidence);
        }
        return new CalibrationResult(ece, result, labels.Count);
    }
}
