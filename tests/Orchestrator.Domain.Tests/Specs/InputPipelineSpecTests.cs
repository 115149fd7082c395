using Orchestrator.Domain.Sampling;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

public class InputPipelineSpecTests
{
    private const string Spec = """
        name: norm
        data: { path: data }
        backbones: [mobilenet_v2]
        strategies: [dynamic]
        hyperparameters: { epochs: [3] }
        """;

    [Fact]
    public void Defaults_keep_the_canonical_json_and_so_every_existing_trial_id()
    {
        var trial = SweepGrid.Expand(SweepSpecParser.Parse(Spec)).Single();
        trial.Spec.Normalization.Should().Be(Normalization.Backbone);
        trial.Spec.Augmentation.Should().Be(Augmentations.None);
        trial.CanonicalJson.Should().NotContain("normalization").And.NotContain("augmentation").And.NotContain("minorityShare");
        trial.CanonicalJson.Should().EndWith("\"classBalance\":\"sampler\",\"data\":{\"path\":\"data\",\"synthesize\":null}}");
    }

    [Fact]
    public void Normalization_is_a_grid_axis_and_each_value_its_own_trial_id()
    {
        var spec = SweepSpecParser.Parse(Spec.Replace("epochs: [3]", "epochs: [3], normalization: [backbone, zscore, adaptive]")
                                         + "\naugmentation: minority\nminorityShare: 0.05\n");
        var trials = SweepGrid.Expand(spec);

        trials.Select(t => t.Spec.Normalization).Should().Equal(Normalization.Backbone, Normalization.ZScore, Normalization.Adaptive);
        trials.Select(t => t.Id).Distinct().Should().HaveCount(3);
        trials[1].CanonicalJson.Should().Contain("\"normalization\":\"zscore\",\"augmentation\":\"minority\",\"minorityShare\":0.05");
        trials[0].CanonicalJson.Should().NotContain("normalization");
        TrialSpecJson.Deserialize(trials[1].CanonicalJson).Should().Be(trials[1].Spec with { Data = trials[1].Spec.Data });
        TrialSpecJson.Canonical(TrialSpecJson.Deserialize(trials[2].CanonicalJson)).Should().Be(trials[2].CanonicalJson);
    }

    [Theory]
    [InlineData("normalization: [minmax]", "hyperparameters.normalization")]
    [InlineData("normalization: [zscore, zscore]", "hyperparameters.normalization")]
    public void A_bad_normalization_is_refused(string axis, string field)
    {
        var act = () => SweepSpecParser.Parse(Spec.Replace("epochs: [3]", $"epochs: [3], {axis}"));
        act.Should().Throw<SpecException>().WithMessage($"*{field}*");
    }

    [Theory]
    [InlineData("augmentation: all", "augmentation")]
    [InlineData("minorityShare: 1.5", "minorityShare")]
    public void A_bad_augmentation_setting_is_refused(string line, string field)
    {
        var act = () => SweepSpecParser.Parse(Spec + "\n" + line + "\n");
        act.Should().Throw<SpecException>().WithMessage($"*{field}*");
    }

    [Fact]
    public void Minority_classes_are_those_below_one_over_c_or_a_given_share()
    {
        // 10 images over 4 classes: 1/C = 2.5 images.
        int[] labels = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2];
        MinorityClasses.Of(labels, 4).Should().Equal(false, false, true, true);
        MinorityClasses.Of(labels, 4, share: 0.35).Should().Equal(false, true, true, true);
        MinorityClasses.Of([0, 0, 1, 1], 2).Should().Equal([false, false], "exactly 1/C is not a minority");
        ((Action)(() => MinorityClasses.Of(labels, 4, 1.0))).Should().Throw<ArgumentOutOfRangeException>();
    }
}
