using Orchestrator.Domain.Search;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

/// <summary>`pruning:` and `replicates:`: their defaults, their values, and every mistake as one line naming the field
/// (the CLI's exit 2: SearchBadInputTests).</summary>
public class PruningSpecParserTests
{
    private const string Valid = """
        name: pruned
        data: { path: d }
        backbones: [lightweight-cnn, mobilenet_v2]
        strategies: [dynamic]
        seeds: [1]
        search: { kind: sobol, trials: 9 }
        pruning: { kind: asha, reduction: 4, minEpochs: 2 }
        replicates: 5
        hyperparameters:
          learningRate: { logUniform: [1e-5, 1e-2] }
          epochs: [10]
        """;

    private static SweepSpec Parse(string yaml) => SweepSpecParser.Parse(yaml);

    private static string Replace(string valid, string broken)
    {
        Valid.Should().Contain(valid);
        return Valid.Replace(valid, broken);
    }

    [Fact]
    public void Reads_the_given_values()
    {
        var spec = Parse(Valid);

        spec.Pruning.Should().Be(new PruningSpec(PruningKind.Asha, 4, 2));
        spec.Replicates.Should().Be(5);
    }

    [Fact]
    public void Reduction_3_and_min_epochs_1_are_the_defaults()
    {
        Parse(Replace("kind: asha, reduction: 4, minEpochs: 2", "kind: asha")).Pruning
            .Should().Be(new PruningSpec(PruningKind.Asha, 3, 1));
    }

    [Fact]
    public void Without_the_keys_there_is_no_pruning_and_no_replicate()
    {
        var spec = Parse(Replace("pruning: { kind: asha, reduction: 4, minEpochs: 2 }\nreplicates: 5\n", ""));

        spec.Pruning.Should().BeNull();
        spec.Replicates.Should().Be(0);
    }

    [Theory]
    [InlineData("epochs: [10]", "epochs: { default: [10], mobilenet_v2: [3] }")]
    [InlineData("epochs: [10]", "epochs: { choice: [10] }")]
    [InlineData("epochs: [10]", "epochs: { intUniform: [10, 10] }")]
    [InlineData("replicates: 5", "replicates: 100")]
    [InlineData("seeds: [1]", "seeds: [2147483642]")]
    public void Accepts_one_budget_per_backbone_and_replicates_up_to_100(string valid, string accepted)
    {
        var spec = Parse(Replace(valid, accepted));

        spec.Pruning.Should().NotBeNull();
        spec.Replicates.Should().BeGreaterThan(0);
    }

    [Fact]
    public void Pruning_and_replicates_are_allowed_on_a_grid_of_one_configuration_per_cell()
    {
        var spec = Parse(Replace("search: { kind: sobol, trials: 9 }\n", "").Replace("{ logUniform: [1e-5, 1e-2] }", "[0.001]"));

        spec.Search.Should().BeNull();
        spec.Pruning.Should().Be(new PruningSpec(PruningKind.Asha, 4, 2));
        spec.Replicates.Should().Be(5);
    }

    [Fact]
    public void Neither_changes_the_trials_a_spec_expands_to()
    {
        var plain = Replace("pruning: { kind: asha, reduction: 4, minEpochs: 2 }\nreplicates: 5\n", "");

        SweepGrid.Expand(Parse(Valid)).Select(t => t.CanonicalJson)
            .Should().Equal(SweepGrid.Expand(Parse(plain)).Select(t => t.CanonicalJson));
    }

    [Theory]
    [InlineData("kind: asha, ", "", "spec: pruning.kind: is required")]
    [InlineData("kind: asha", "kind: hyperband", "spec: pruning.kind: unknown pruning kind 'hyperband' (supported: asha)")]
    [InlineData("minEpochs: 2 }", "minEpochs: 2, eta: 3 }", "spec: pruning.eta: unknown key (allowed here: kind, reduction, minEpochs)")]
    [InlineData("pruning: { kind: asha, reduction: 4, minEpochs: 2 }", "pruning: asha", "spec: pruning: expected a mapping of keys to values")]
    [InlineData("reduction: 4", "reduction: 1", "spec: pruning.reduction: 1 is invalid (must be >= 2: a rung keeps the best 1/reduction)")]
    [InlineData("reduction: 4", "reduction: 0", "spec: pruning.reduction: 0 is invalid (must be >= 2")]
    [InlineData("reduction: 4", "reduction: 2.5", "spec: pruning.reduction: '2.5' is not an integer")]
    [InlineData("minEpochs: 2", "minEpochs: 0", "spec: pruning.minEpochs: 0 is invalid (must be >= 1)")]
    [InlineData("minEpochs: 2", "minEpochs: 12", "spec: pruning.minEpochs: 12 is not below the epoch budget 10 (hyperparameters.epochs): nothing would be pruned")]
    [InlineData("minEpochs: 2", "minEpochs: 10", "spec: pruning.minEpochs: 10 is not below the epoch budget 10 (hyperparameters.epochs)")]
    [InlineData("epochs: [10]", "epochs: { default: [10], mobilenet_v2: [2] }", "spec: pruning.minEpochs: 2 is not below the epoch budget 2 (hyperparameters.epochs of mobilenet_v2)")]
    [InlineData("epochs: [10]", "epochs: { choice: [2] }", "spec: pruning.minEpochs: 2 is not below the epoch budget 2 (hyperparameters.epochs)")]
    [InlineData("epochs: [10]", "epochs: [10, 20]", "spec: hyperparameters.epochs: pruning needs one epoch budget per backbone, not [10, 20] for lightweight-cnn: a cell's rungs are epochs below one budget")]
    [InlineData("epochs: [10]", "epochs: { default: [10], mobilenet_v2: [10, 20] }", "spec: hyperparameters.epochs: pruning needs one epoch budget per backbone, not [10, 20] for mobilenet_v2")]
    [InlineData("epochs: [10]", "epochs: { intUniform: [5, 10] }", "spec: hyperparameters.epochs: pruning needs one epoch budget per backbone, not a sampled one")]
    [InlineData("epochs: [10]", "epochs: { choice: [10, 20] }", "spec: hyperparameters.epochs: pruning needs one epoch budget per backbone, not a sampled one")]
    [InlineData("replicates: 5", "replicates: -1", "spec: replicates: -1 is invalid (must be from 0 to 100)")]
    [InlineData("replicates: 5", "replicates: 101", "spec: replicates: 101 is invalid (must be from 0 to 100)")]
    [InlineData("replicates: 5", "replicates: two", "spec: replicates: 'two' is not an integer")]
    [InlineData("replicates: 5", "replicates: [5]", "spec: replicates: expected a single value")]
    [InlineData("seeds: [1]", "seeds: [2147483643]", "spec: replicates: 5 fresh seeds after the largest seed 2147483643 would pass 2147483647")]
    public void A_mistake_is_one_line_naming_the_field(string valid, string broken, string message)
    {
        var parse = () => Parse(Replace(valid, broken));

        parse.Should().Throw<SpecException>().Which.Message.Should().StartWith(message).And.NotContain("\n");
    }
}
