using System.Globalization;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;

namespace Orchestrator.TestEngine;

/// <summary>The plugin: its epochs sleep and report scripted losses, as <c>ORCHESTRATOR_TEST_ENGINE=sleep:SECONDS[:LOSS,LOSS,...]</c>
/// says (default: 0.1 s, <see cref="DefaultLosses"/>).</summary>
public sealed class SleepingEngine : ITrainerSource
{
    private readonly (TimeSpan EpochTime, IReadOnlyList<double> Losses) _settings =
        FromEnvironment() ?? (TimeSpan.FromSeconds(0.1), DefaultLosses);

    public string Description =>
        $"TEST ENGINE: epochs sleep {_settings.EpochTime.TotalSeconds:G3}s and report scripted losses; nothing is trained";

    public ITrainer Create(TrialSpec spec, int classes) => new FakeTrainer(4, LossOf)
    {
        EpochTime = _settings.EpochTime,
        TrialId = Ids.TrialId(spec).Value,
        Captures = true,
        AnyGroups = true,
        TrainLossOfEpoch = epoch => LossOf(epoch) + 0.1,
    };

    /// <summary>The scripted loss of an epoch (1-based); the last value repeats.</summary>
    private double LossOf(int epoch) => epoch <= 0 ? double.NaN : _settings.Losses[Math.Min(epoch, _settings.Losses.Count) - 1];

    public const string Variable = "ORCHESTRATOR_TEST_ENGINE";

    /// <summary>Improves for three epochs, then plateaus: with patience 1-2 it unfreezes, restores and stops.</summary>
    public static readonly IReadOnlyList<double> DefaultLosses = [1.0, 0.8, 0.7, 0.7, 0.7, 0.65, 0.65, 0.65, 0.65, 0.65];

    /// <summary>The settings the variable gives, or null when it is not set.</summary>
    /// <exception cref="FormatException">The variable is set but malformed.</exception>
    private static (TimeSpan EpochTime, IReadOnlyList<double> Losses)? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0] != "sleep"
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            throw new FormatException($"${Variable}='{value}': expected sleep:SECONDS[:LOSS,LOSS,...]");
        var losses = DefaultLosses;
        if (parts.Length == 3)
        {
            var parsed = parts[2].Split(',').Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : double.NaN).ToList();
            if (parsed.Count == 0 || parsed.Any(double.IsNaN))
                throw new FormatException($"${Variable}='{value}': the losses must be numbers separated by commas");
            losses = parsed;
        }
        return (TimeSpan.FromSeconds(seconds), losses);
    }
}
