using Orchestrator.Domain.Search;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Search;

public class SearchSpaceTests
{
    private const string Head = """
        name: search
        data: { path: d }
        backbones: [lightweight-cnn, mobilenet_v2]
        strategies: [dynamic, gradual]
        seeds: [1, 2]

        """;

    private static string Spec(string kind, int trials, string hyperparameters, string seed = "") =>
        Head + $"search: {{ kind: {kind}, trials: {trials}{seed} }}\nhyperparameters:\n" + hyperparameters;

    private static readonly string Mixed = """
          learningRate: { logUniform: [1e-5, 1e-2] }
          patience: { intUniform: [2, 5] }
          decay: { uniform: [0.05, 0.5] }
          normalization: { choice: [backbone, zscore, adaptive] }
          epochs: [10, 20]

        """;

    private static IReadOnlyList<PlannedTrial> Expand(string yaml) => SweepGrid.Expand(SweepSpecParser.Parse(yaml));

    [Theory]
    [InlineData("random")]
    [InlineData("sobol")]
    public void The_same_spec_gives_the_same_trials_and_ids_every_time_and_ids_hash_the_configurations(string kind)
    {
        var yaml = Spec(kind, 12, Mixed);

        var first = Expand(yaml);
        var second = Expand(yaml);

        first.Select(t => t.CanonicalJson).Should().Equal(second.Select(t => t.CanonicalJson));
        first.Select(t => t.Id).Should().Equal(second.Select(t => t.Id)).And.OnlyHaveUniqueItems();
        first.Should().OnlyContain(t => t.Id == Ids.TrialId(t.Spec) && t.CanonicalJson == TrialSpecJson.Canonical(t.Spec));
    }

    [Theory]
    [InlineData("random")]
    [InlineData("sobol")]
    public void Another_seed_gives_other_configurations(string kind)
    {
        static IEnumerable<double> Rates(string yaml) => Expand(yaml).Select(t => t.Spec.LearningRate).Distinct();

        var one = Rates(Spec(kind, 8, Mixed, ", seed: 1"));
        var two = Rates(Spec(kind, 8, Mixed, ", seed: 2"));

        one.Should().NotIntersectWith(two);
    }

    [Theory]
    [InlineData("random")]
    [InlineData("sobol")]
    public void Raising_the_number_of_trials_keeps_the_earlier_configurations(string kind)
    {
        var four = Expand(Spec(kind, 4, Mixed)).Select(t => t.Id).ToList();
        var eight = Expand(Spec(kind, 8, Mixed)).Select(t => t.Id).ToList();

        eight.Should().HaveCount(2 * four.Count).And.Contain(four);
    }

    [Fact]
    public void Without_a_seed_the_seed_comes_from_the_sweep_name()
    {
        var spec = SweepSpecParser.Parse(Spec("random", 4, Mixed));

        spec.Search!.Seed.Should().Be(SearchSpec.DefaultSeed("search"));
        Expand(Spec("random", 4, Mixed)).Select(t => t.Id)
            .Should().Equal(Expand(Spec("random", 4, Mixed, $", seed: {SearchSpec.DefaultSeed("search")}")).Select(t => t.Id));
        SearchSpec.DefaultSeed("search").Should().NotBe(SearchSpec.DefaultSeed("search2"));
    }

    [Theory]
    [InlineData("random")]
    [InlineData("sobol")]
    public void Every_backbone_and_strategy_gets_the_same_configurations_crossed_with_the_grid_lists_and_the_seeds(string kind)
    {
        var trials = Expand(Spec(kind, 12, Mixed));

        // 2 backbones x 2 strategies x 12 configurations x 2 epoch budgets x 2 seeds.
        trials.Should().HaveCount(2 * 2 * 12 * 2 * 2);
        var cells = trials.GroupBy(t => (t.Spec.Backbone, t.Spec.Strategy))
            .Select(cell => cell.Select(t => (t.Spec.LearningRate, t.Spec.Patience, t.Spec.Normalization, t.Spec.MaxEpochs, t.Spec.Seed)).ToList())
            .ToList();
        cells.Should().HaveCount(4);
        cells.Should().AllSatisfy(cell => cell.Should().Equal(cells[0]));
        cells[0].Select(c => (c.MaxEpochs, c.Seed)).Take(4).Should().Equal((10, 1), (10, 2), (20, 1), (20, 2));
    }

    [Theory]
    [InlineData("random")]
    [InlineData("sobol")]
    public void Sampled_values_lie_in_their_ranges_and_real_ones_have_four_significant_digits(string kind)
    {
        var trials = Expand(Spec(kind, 200, Mixed)).Where(t => t.Spec.Strategy == Strategy.Dynamic).ToList();

        trials.Should().OnlyContain(t => t.Spec.LearningRate >= 1e-5 && t.Spec.LearningRate <= 1e-2);
        trials.Should().OnlyContain(t => t.Spec.Decay >= 0.05 && t.Spec.Decay <= 0.5);
        trials.Should().OnlyContain(t => t.Spec.Patience >= 2 && t.Spec.Patience <= 5);
        trials.Should().OnlyContain(t => RealRounding.Within(t.Spec.LearningRate, 0, 1) == t.Spec.LearningRate);
        trials.Select(t => t.Spec.LearningRate).Distinct().Should().HaveCountGreaterThan(150);
    }

    [Theory]
    [InlineData("random", 60)]
    [InlineData("sobol", 12)]
    public void Integer_and_choice_axes_take_every_value(string kind, int trials)
    {
        var cell = Expand(Spec(kind, trials, Mixed)).Where(t => t.Spec.Strategy == Strategy.Dynamic).ToList();

        cell.Select(t => t.Spec.Patience).Distinct().Should().BeEquivalentTo([2, 3, 4, 5]);
        cell.Select(t => t.Spec.Normalization).Distinct()
            .Should().BeEquivalentTo([Normalization.Backbone, Normalization.ZScore, Normalization.Adaptive]);
    }

    [Fact]
    public void A_log_range_gives_each_decade_its_share()
    {
        var rates = Expand(Spec("sobol", 256, "  learningRate: { logUniform: [1e-5, 1e-1] }\n"))
            .Where(t => t.Spec.Strategy == Strategy.Dynamic && t.Spec.Seed == 1 && t.Spec.Backbone == "mobilenet_v2")
            .Select(t => t.Spec.LearningRate).ToList();

        rates.Should().HaveCount(256);
        rates.GroupBy(r => (int)Math.Floor(Math.Log10(r))).Select(g => g.Count()).Should().AllSatisfy(n => n.Should().BeInRange(60, 68));
    }

    [Fact]
    public void A_configuration_that_repeats_a_trial_of_its_cell_adds_nothing()
    {
        var trials = Expand(Spec("random", 10, "  patience: { intUniform: [2, 3] }\n"));

        // patience 2 or 3, crossed with 2 seeds, per backbone and strategy.
        trials.Should().HaveCount(2 * 2 * 2 * 2);
        trials.Select(t => t.Id).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void The_order_of_the_keys_in_the_spec_does_not_change_the_trials()
    {
        const string reordered = """
              epochs: [10, 20]
              normalization: { choice: [backbone, zscore, adaptive] }
              decay: { uniform: [0.05, 0.5] }
              patience: { intUniform: [2, 5] }
              learningRate: { logUniform: [1e-5, 1e-2] }

            """;

        Expand(Spec("sobol", 6, reordered)).Select(t => t.Id).Should().Equal(Expand(Spec("sobol", 6, Mixed)).Select(t => t.Id));
    }

    [Fact]
    public void A_sobol_search_uses_the_sequence_shifted_by_the_seed()
    {
        var spec = SweepSpecParser.Parse(Spec("sobol", 4, "  decay: { uniform: [0.01, 0.99] }\n  stageTwoRate: { uniform: [1, 2] }\n", ", seed: 7"));
        var search = spec.Search!;
        var rng = new Orchestrator.Domain.Randomness.SplitMix64(7);
        var shift = new[] { (uint)(rng.NextUInt64() >> 32), (uint)(rng.NextUInt64() >> 32) };
        var sobol = new SobolSequence(2);

        search.UnitPoints().Should().BeEquivalentTo(
            Enumerable.Range(0, 4).Select(_ => sobol.NextBits().Select((b, d) => SobolSequence.ToUnit(b ^ shift[d])).ToArray()),
            o => o.WithStrictOrdering());
        search.Axes.Select(a => a.Name).Should().Equal("decay", "stageTwoRate");
    }

    [Fact]
    public void Range_mappings_read_values_the_way_the_docs_say()
    {
        new UniformRange(1, 3).At(0.5).Should().Be(2);
        new UniformRange(0.1, 0.2).At(0.123456789).Should().Be(0.1123);
        new LogUniformRange(1e-4, 1e-2).At(0.5).Should().Be(1e-3);
        new LogUniformRange(1e-4, 1e-2).At(0).Should().Be(1e-4);
        new IntUniformRange(2, 5).At(0).Should().Be(2);
        new IntUniformRange(2, 5).At(0.2499).Should().Be(2);
        new IntUniformRange(2, 5).At(0.25).Should().Be(3);
        new IntUniformRange(2, 5).At(0.9999999).Should().Be(5);
        new IntUniformRange(int.MinValue, int.MaxValue).At(0.9999999999).Should().Be(int.MaxValue);
        new ChoiceRange<string>(["a", "b", "c"]).At(0.34).Should().Be("b");
        new ChoiceRange<string>(["a", "b", "c"]).At(0.99).Should().Be("c");
        RealRounding.Within(0.123449, 0.12345, 1).Should().Be(0.12345, "rounding below the low end takes the end");
    }

    [Fact]
    public void A_search_spec_keeps_its_pinned_trials()
    {
        // Pinned from this implementation, so that a change of the sampling, the rounding or the axis order (which
        // would change the trials and ids of every stored search) fails here.
        var trials = Expand(Spec("sobol", 4, Mixed, ", seed: 42")).Where(t => t.Spec.Backbone == "lightweight-cnn" && t.Spec.Strategy == Strategy.Dynamic
            && t.Spec.MaxEpochs == 10 && t.Spec.Seed == 1).ToList();

        trials.Select(t => (t.Spec.LearningRate, t.Spec.Patience, t.Spec.Decay, t.Spec.Normalization, t.Id.Value))
            .Should().Equal(PinnedSobol);
    }

    private static readonly (double, int, double, Normalization, string)[] PinnedSobol =
    [
        (0.001678, 2, 0.1754, Normalization.ZScore, "t-c8ebac75fc42"),
        (5.305e-05, 4, 0.4004, Normalization.Adaptive, "t-be065f4d0513"),
        (0.0002983, 3, 0.06287, Normalization.Backbone, "t-97a882af8f4e"),
        (0.009434, 5, 0.2879, Normalization.ZScore, "t-5e85b22240a1"),
    ];
}
