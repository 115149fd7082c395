using System.Globalization;
using Orchestrator.Domain.Specs;

namespace Orchestrator.TestEngine;

/// <summary>What <c>ORCHESTRATOR_TEST_ENGINE</c> asks of the test engine: how long an epoch sleeps and the validation
/// loss each epoch of a trial reports. <c>sleep:SECONDS[:LOSS,LOSS,...]</c>: the same losses for every trial, the
/// last value repeating (default <see cref="DefaultLosses"/>); <c>curve:SECONDS</c>: <see cref="ScriptedCurve"/>, which
/// depends on the trial's strategy and learning rate.</summary>
public sealed class EngineScript
{
    public const string Variable = "ORCHESTRATOR_TEST_ENGINE";

    /// <summary>Improves for three epochs, then plateaus: with patience 1-2 it unfreezes, restores and stops.</summary>
    public static readonly IReadOnlyList<double> DefaultLosses = [1.0, 0.8, 0.7, 0.7, 0.7, 0.65, 0.65, 0.65, 0.65, 0.65];

    /// <summary>What an unset variable means: 0.1 s epochs and <see cref="DefaultLosses"/>.</summary>
    public static readonly EngineScript Default = Scripted(TimeSpan.FromSeconds(0.1), DefaultLosses);

    private readonly Func<TrialSpec, int, double> _loss;

    private EngineScript(TimeSpan epochTime, string losses, Func<TrialSpec, int, double> loss)
    {
        EpochTime = epochTime;
        Losses = losses;
        _loss = loss;
    }

    public TimeSpan EpochTime { get; }

    /// <summary>What the losses are, for the engine's description.</summary>
    public string Losses { get; }

    /// <summary>The validation loss of each epoch (1-based) of <paramref name="spec"/>'s trial; NaN before the first.</summary>
    public Func<int, double> LossOf(TrialSpec spec) => epoch => epoch <= 0 ? double.NaN : _loss(spec, epoch);

    /// <summary>The script the variable gives, or <see cref="Default"/> when it is not set.</summary>
    /// <exception cref="FormatException">The variable is set but malformed.</exception>
    public static EngineScript FromEnvironment() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? Parse(value) : Default;

    /// <exception cref="FormatException"><paramref name="value"/> is malformed.</exception>
    public static EngineScript Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split(':');
        var shape = parts[0] switch
        {
            "sleep" => parts.Length is 2 or 3,
            "curve" => parts.Length == 2,
            _ => false,
        };
        if (!shape || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            throw new FormatException($"${Variable}='{value}': expected sleep:SECONDS[:LOSS,LOSS,...] or curve:SECONDS");
        var epochTime = TimeSpan.FromSeconds(seconds);
        if (parts[0] == "curve")
            return new EngineScript(epochTime, "losses that depend on the strategy and learning rate",
                (spec, epoch) => ScriptedCurve.ValidationLoss(spec.Strategy, spec.LearningRate, epoch));
        if (parts.Length == 2) return Scripted(epochTime, DefaultLosses);
        var losses = parts[2].Split(',').Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : double.NaN).ToList();
        if (losses.Any(double.IsNaN))
            throw new FormatException($"${Variable}='{value}': the losses must be numbers separated by commas");
        return Scripted(epochTime, losses);
    }

    private static EngineScript Scripted(TimeSpan epochTime, IReadOnlyList<double> losses) =>
        new(epochTime, "scripted losses", (_, epoch) => losses[Math.Min(epoch, losses.Count) - 1]);
}
