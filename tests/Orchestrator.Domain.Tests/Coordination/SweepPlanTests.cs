using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Tests.Specs;

namespace Orchestrator.Domain.Tests.Coordination;

public class SweepPlanTests
{
    private const string Pruned = """
        name: planned
        data: { path: d }
        backbones: [lightweight-cnn, mobilenet_v2]
        strategies: [dynamic, fixed-top-n]
        seeds: [0, 3]
        search: { kind: sobol, trials: 4 }
        pruning: { kind: asha, reduction: 3, minEpochs: 1 }
        replicates: 2
        hyperparameters:
          learningRate: { logUniform: [1e-5, 1e-2] }
          epochs: { default: [9], mobilenet_v2: [20] }
        """;

    private const string PruningLine = "pruning: { kind: asha, reduction: 3, minEpochs: 1 }\n";
    private const string ReplicatesLine = "replicates: 2\n";

    private static (SweepSpec Spec, IReadOnlyList<PlannedTrial> Trials) Expanded(string yaml)
    {
        var spec = SweepSpecParser.Parse(yaml);
        return (spec, SweepGrid.Expand(spec));
    }

    private static string Without(params string[] lines)
    {
        var yaml = Pruned;
        foreach (var line in lines)
        {
            yaml.Should().Contain(line);
            yaml = yaml.Replace(line, "");
        }
        return yaml;
    }

    [Fact]
    public void A_cell_per_backbone_and_strategy_holds_its_trials_in_plan_order_with_the_rungs_of_its_budget()
    {
        var (spec, trials) = Expanded(Pruned);

        var plan = SweepPlan.Of(spec, trials)!;

        plan.Cells.Select(c => c.Name).Should().Equal(
            "lightweight-cnn/dynamic", "lightweight-cnn/fixed-top-n", "mobilenet_v2/dynamic", "mobilenet_v2/fixed-top-n");
        plan.Cells.Select(c => c.Rungs).Should().BeEquivalentTo(
            new[] { new[] { 1, 3 }, [1, 3], [1, 3, 9], [1, 3, 9] }, o => o.WithStrictOrdering());
        plan.Cells.Should().OnlyContain(c => c.Trials.Count == 4 * 2, "4 configurations x 2 seeds");
        plan.Cells.SelectMany(c => c.Trials).Should().Equal(trials.Select(t => t.Id));
        var specs = trials.ToDictionary(t => t.Id, t => t.Spec);
        foreach (var cell in plan.Cells)
            cell.Trials.Select(id => $"{specs[id].Backbone}/{specs[id].Strategy.ToSpecString()}").Should().AllBe(cell.Name);
        plan.Reduction.Should().Be(3);
        plan.ReplicateSeeds.Should().Equal(4, 5);
    }

    [Fact]
    public void A_sweep_without_pruning_or_replicates_has_no_plan()
    {
        var (spec, trials) = Expanded(Without(PruningLine, ReplicatesLine));

        SweepPlan.Of(spec, trials).Should().BeNull();
    }

    [Fact]
    public void Replicates_alone_give_cells_without_rungs()
    {
        var (spec, trials) = Expanded(Without(PruningLine));

        var plan = SweepPlan.Of(spec, trials)!;

        plan.Cells.Should().HaveCount(4).And.OnlyContain(c => c.Rungs.Count == 0);
        plan.Reduction.Should().Be(1);
        plan.ReplicateSeeds.Should().Equal(4, 5);
    }

    [Fact]
    public void Pruning_alone_gives_no_replicate_seed()
    {
        var (spec, trials) = Expanded(Without(ReplicatesLine));

        SweepPlan.Of(spec, trials)!.ReplicateSeeds.Should().BeEmpty();
    }

    [Fact]
    public void Replicates_are_the_chosen_configuration_with_the_fresh_seeds_as_a_spec_with_those_seeds_would_plan_them()
    {
        var (spec, trials) = Expanded(Pruned);
        var chosen = trials[0];

        var replicates = SweepPlan.Replicates(chosen.Spec, SweepPlan.ReplicateSeedsOf(spec));

        replicates.Select(r => r.Spec.Seed).Should().Equal(4, 5);
        foreach (var replicate in replicates) (replicate.Spec with { Seed = chosen.Spec.Seed }).Should().Be(chosen.Spec);
        replicates.Select(r => r.Id).Should().OnlyHaveUniqueItems().And.NotContain(trials.Select(t => t.Id));
        var (_, reseeded) = Expanded(Pruned.Replace("seeds: [0, 3]", "seeds: [0, 3, 4, 5]"));
        reseeded.Should().Contain(replicates);
    }

    [Fact]
    public void The_docs_example_prunes_27_configurations_per_cell_at_epochs_1_and_3_and_replicates_with_seeds_2_3_4()
    {
        var docs = ShippedSpecTests.ReadRepositoryFile("docs", "sweeps.md");
        var start = docs.IndexOf("name: pruned-search", StringComparison.Ordinal);
        start.Should().BePositive("docs/sweeps.md shows the example spec");
        var (spec, trials) = Expanded(docs[start..docs.IndexOf("```", start, StringComparison.Ordinal)]);

        var plan = SweepPlan.Of(spec, trials)!;

        plan.Cells.Should().HaveCount(2 * 2).And.OnlyContain(c => c.Trials.Count == 27 && c.Rungs.SequenceEqual(new[] { 1, 3 }));
        plan.Reduction.Should().Be(3);
        plan.ReplicateSeeds.Should().Equal(2, 3, 4);
    }
}
