using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Search;

/// <summary>Every mistake in a search is one line naming the field (the CLI's exit 2: SearchBadInputTests).</summary>
public class SearchValidationTests
{
    private const string Valid = """
        name: bad-search
        data: { path: d }
        backbones: [lightweight-cnn]
        search: { kind: random, trials: 4 }
        hyperparameters:
          learningRate: { logUniform: [1e-5, 1e-2] }
          patience: [2]
        """;

    [Theory]
    [InlineData("logUniform: [1e-5, 1e-2]", "logUniform: [1e-2, 1e-5]", "spec: hyperparameters.learningRate.logUniform: [0.01, 1E-05] is invalid (low > high)")]
    [InlineData("patience: [2]", "patience: { intUniform: [5, 2] }", "spec: hyperparameters.patience.intUniform: [5, 2] is invalid (low > high)")]
    [InlineData("logUniform: [1e-5, 1e-2]", "logUniform: [0, 1e-2]", "spec: hyperparameters.learningRate.logUniform: [0, 0.01] is invalid (a log range needs low > 0)")]
    [InlineData("logUniform: [1e-5, 1e-2]", "logUniform: [-1, 1e-2]", "spec: hyperparameters.learningRate.logUniform: [-1, 0.01] is invalid (a log range needs low > 0)")]
    [InlineData("trials: 4", "trials: 0", "spec: search.trials: 0 is invalid (must be from 1 to 100000)")]
    [InlineData("kind: random", "kind: grid", "spec: search.kind: unknown search kind 'grid' (supported: random, sobol)")]
    [InlineData("patience: [2]", "patience: { uniform: [2, 5] }", "spec: hyperparameters.patience.uniform: patience is an integer: it takes intUniform or choice, not uniform")]
    [InlineData("logUniform: [1e-5, 1e-2]", "intUniform: [1, 3]", "spec: hyperparameters.learningRate.intUniform: learningRate is a real number: it takes uniform or logUniform or choice, not intUniform")]
    [InlineData("patience: [2]", "normalization: { uniform: [0, 1] }", "spec: hyperparameters.normalization.uniform: normalization is a method: it takes choice, not uniform")]
    [InlineData("learningRate: { logUniform: [1e-5, 1e-2] }", "learningRate: [0.001]", "spec: search: no hyperparameter has a range to sample")]
    [InlineData("search: { kind: random, trials: 4 }\n", "", "spec: hyperparameters.learningRate: a range needs a search block")]
    [InlineData("logUniform: [1e-5, 1e-2]", "uniform: [0, 1e-2]", "spec: hyperparameters.learningRate.uniform: 0 is invalid (must be > 0)")]
    [InlineData("patience: [2]", "patience: { intUniform: [0, 3] }", "spec: hyperparameters.patience.intUniform: 0 is invalid (p must be >= 1)")]
    [InlineData("patience: [2]", "patience: { intUniform: [1.5, 3] }", "spec: hyperparameters.patience.intUniform: '1.5' is not an integer")]
    [InlineData("patience: [2]", "patience: { intUniform: [3] }", "spec: hyperparameters.patience.intUniform: expected [low, high]")]
    [InlineData("patience: [2]", "patience: { choice: [2, 2] }", "spec: hyperparameters.patience.choice: duplicate entry 2")]
    [InlineData("patience: [2]", "normalization: { choice: [zscore, none] }", "spec: hyperparameters.normalization.choice: unknown normalization 'none'")]
    [InlineData("logUniform: [1e-5, 1e-2] }", "logUniform: [1e-5, 1e-2], uniform: [0.1, 0.2] }", "spec: hyperparameters.learningRate: a range has one kind, not 2 (logUniform, uniform)")]
    [InlineData("logUniform: [1e-5, 1e-2] }", "logUniform: [1e-5, 1e-2], normal: [0.1, 0.2] }", "spec: hyperparameters.learningRate.normal: unknown key (allowed here: uniform, logUniform, intUniform, choice)")]
    [InlineData("trials: 4", "trials: 4, seed: -1", "spec: search.seed: '-1' is not a whole number")]
    [InlineData("trials: 4", "trials: 4, budget: 3", "spec: search.budget: unknown key (allowed here: kind, trials, seed)")]
    public void A_mistake_is_one_line_naming_the_field(string valid, string broken, string message)
    {
        Valid.Should().Contain(valid);
        var parse = () => SweepSpecParser.Parse(Valid.Replace(valid, broken));

        parse.Should().Throw<SpecException>().Which.Message.Should().StartWith(message).And.NotContain("\n");
    }

    [Fact]
    public void The_valid_spec_parses()
    {
        SweepSpecParser.Parse(Valid).Search.Should().NotBeNull();
    }
}
