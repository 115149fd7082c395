using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

public class ClassBalanceSpecTests
{
    private const string Spec = "name: cb\ndata: { path: d }\nbackbones: [lightweight-cnn]\n";

    [Fact]
    public void Class_balance_defaults_to_the_sampler_and_reaches_every_trial()
    {
        SweepSpecParser.Parse(Spec).ClassBalance.Should().Be(ClassBalance.Sampler);
        var spec = SweepSpecParser.Parse(Spec + "classBalance: both\n");
        SweepGrid.Expand(spec).Should().OnlyContain(t => t.Spec.ClassBalance == ClassBalance.Both);
        TrialSpecJson.Deserialize(SweepGrid.Expand(spec)[0].CanonicalJson).ClassBalance.Should().Be(ClassBalance.Both);
    }

    [Fact]
    public void The_class_balance_is_part_of_the_trial_identity()
    {
        var sampler = SweepGrid.Expand(SweepSpecParser.Parse(Spec)).Select(t => t.Id);
        var loss = SweepGrid.Expand(SweepSpecParser.Parse(Spec + "classBalance: loss\n")).Select(t => t.Id);
        sampler.Should().NotIntersectWith(loss);
    }

    [Fact]
    public void An_unknown_class_balance_is_one_clear_error() =>
        FluentActions.Invoking(() => SweepSpecParser.Parse(Spec + "classBalance: smote\n"))
            .Should().Throw<SpecException>().WithMessage("spec: classBalance: unknown class balance 'smote' (supported: sampler, loss, both)");
}
