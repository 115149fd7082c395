namespace Orchestrator.Cli.Tests;

/// <summary>Mistakes in a search space and its pruning: one line, exit 2, nothing stored, for `sweep run` and `sweep launch` alike.</summary>
public class SearchBadInputTests
{
    private const string Valid = """
        name: bad-search
        data: { path: data, synthesize: { images: 84, size: 16, seed: 1 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        search: { kind: sobol, trials: 2 }
        pruning: { kind: asha, reduction: 2, minEpochs: 1 }
        hyperparameters:
          learningRate: { logUniform: [1e-5, 1e-2] }
          patience: [2]
          epochs: [2]
        """;

    [Theory]
    [InlineData("logUniform: [1e-5, 1e-2]", "logUniform: [1e-2, 1e-5]", "hyperparameters.learningRate.logUniform: [0.01, 1E-05] is invalid (low > high)")]
    [InlineData("logUniform: [1e-5, 1e-2]", "logUniform: [0, 1e-2]", "hyperparameters.learningRate.logUniform: [0, 0.01] is invalid (a log range needs low > 0)")]
    [InlineData("trials: 2", "trials: 0", "search.trials: 0 is invalid")]
    [InlineData("kind: sobol", "kind: halton", "search.kind: unknown search kind 'halton' (supported: random, sobol)")]
    [InlineData("patience: [2]", "patience: { uniform: [2, 5] }", "hyperparameters.patience.uniform: patience is an integer: it takes intUniform or choice, not uniform")]
    [InlineData("learningRate: { logUniform: [1e-5, 1e-2] }", "learningRate: [0.001]", "search: no hyperparameter has a range to sample")]
    [InlineData("minEpochs: 1", "minEpochs: 3", "pruning.minEpochs: 3 is not below the epoch budget 2 (hyperparameters.epochs)")]
    [InlineData("reduction: 2", "reduction: 1", "pruning.reduction: 1 is invalid (must be >= 2")]
    public async Task A_mistake_is_one_line_and_exit_2_and_nothing_is_stored(string valid, string broken, string mentions)
    {
        Valid.Should().Contain(valid);

        await BadSpecs.RefusedByRunAndLaunchAsync(Valid.Replace(valid, broken), mentions);
    }
}
