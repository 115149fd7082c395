using System.Globalization;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Reporting.Reports;

/// <summary>
/// Names a trial's configuration apart from its backbone and seed: the strategy, plus every hyperparameter that takes
/// more than one value among the sweep's trials of that strategy on one backbone (fixed top-n always shows its n).
/// Settings that differ only between backbones (input size, pretrained weights) are part of the backbone, not of the
/// variant, so one variant names comparable configurations on every backbone. Trials with the same backbone and
/// variant are the seeds of one configuration.
/// </summary>
public sealed class StrategyVariants
{
    private static readonly (string Name, Func<TrialSpec, string> Value)[] Axes =
    [
        ("lr", s => Number(s.LearningRate)),
        ("p", s => Number(s.Patience)),
        ("k", s => Number(s.Step)),
        ("decay", s => Number(s.Decay)),
        ("epochs", s => Number(s.MaxEpochs)),
        ("minDelta", s => Number(s.MinDelta)),
        ("stop", s => s.StopPolicy.ToSpecString()),
        ("rounds", s => Number(s.MaxRounds)),
        ("optimizer", s => s.Optimizer.ToSpecString()),
        ("batch", s => Number(s.BatchSize)),
        ("input", s => Number(s.InputSize)),
        ("balance", s => s.ClassBalance.ToSpecString()),
        ("weights", s => s.Weights ?? "none"),
    ];

    private readonly Dictionary<Strategy, (string Name, Func<TrialSpec, string> Value)[]> _varying;

    public StrategyVariants(IEnumerable<TrialSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        _varying = specs.GroupBy(s => s.Strategy).ToDictionary(
            g => g.Key,
            g => Axes.Where(a => g.GroupBy(s => s.Backbone, StringComparer.Ordinal)
                .Any(b => b.Select(a.Value).Distinct(StringComparer.Ordinal).Skip(1).Any())).ToArray());
    }

    public string Label(TrialSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = new List<string> { spec.Strategy.ToSpecString() };
        if (spec.Strategy == Strategy.FixedTopN) parts.Add($"n={spec.FixedTopN}");
        if (_varying.TryGetValue(spec.Strategy, out var axes))
            parts.AddRange(axes.Select(a => $"{a.Name}={a.Value(spec)}"));
        return string.Join(' ', parts);
    }

    private static string Number(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
