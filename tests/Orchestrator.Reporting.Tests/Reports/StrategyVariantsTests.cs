using Orchestrator.Domain.Specs;
using Orchestrator.Reporting.Reports;
using static Orchestrator.Reporting.Tests.Reports.TrialStreams;

namespace Orchestrator.Reporting.Tests.Reports;

public class StrategyVariantsTests
{
    [Fact]
    public void A_variant_names_the_strategy_the_fixed_depth_and_what_varies_within_a_backbone()
    {
        TrialSpec[] specs =
        [
            Spec("vgg16", Strategy.Dynamic, 1) with { Patience = 2 },
            Spec("vgg16", Strategy.Dynamic, 1) with { Patience = 3 },
            Spec("vgg16", Strategy.FixedTopN, 1, 2),
            Spec("vgg16", Strategy.FixedTopN, 2, 2),
        ];
        var variants = new StrategyVariants(specs);
        specs.Select(variants.Label).Should().Equal("dynamic p=2", "dynamic p=3", "fixed-top-n n=2", "fixed-top-n n=2");
    }

    [Fact]
    public void Settings_that_differ_only_between_backbones_belong_to_the_backbone()
    {
        TrialSpec[] specs =
        [
            Spec("inception_v3", Strategy.Dynamic, 1) with { InputSize = 299, Weights = "weights/inception.bin" },
            Spec("vgg16", Strategy.Dynamic, 1) with { InputSize = 224, Weights = "weights/vgg.bin" },
        ];
        var variants = new StrategyVariants(specs);
        specs.Select(variants.Label).Should().Equal("dynamic", "dynamic");
    }
}
