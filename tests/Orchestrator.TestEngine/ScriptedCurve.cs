using Orchestrator.Domain.Specs;

namespace Orchestrator.TestEngine;

/// <summary>
/// The loss curve of the test engine's <c>curve:SECONDS</c> script, which depends on the trial's configuration:
/// <c>loss(e) = 0.2 + (log10(lr) - log10(best))^2 / 4 + 0.8 / e</c> for epoch e (1-based), where the best rate depends
/// on the strategy. It falls at every epoch (no trial stops on patience) and ranks configurations the same at every
/// epoch, so a search's answer is known: in each cell, the rate closest to <see cref="BestLearningRate"/> in log scale.
/// The search benchmark (tests/benchmarks/SearchBench) feeds these same values to its Optuna peer.
/// </summary>
public static class ScriptedCurve
{
    public static double BestLearningRate(Strategy strategy) => strategy switch
    {
        Strategy.Dynamic => 1e-3,
        Strategy.FixedTopN => 1e-4,
        _ => 3e-4,
    };

    public static double ValidationLoss(Strategy strategy, double learningRate, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be positive");
        var distance = Math.Log10(learningRate) - Math.Log10(BestLearningRate(strategy));
        return 0.2 + distance * distance / 4 + 0.8 / epoch;
    }
}
