using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

public class SweepGridTests
{
    private const string Spec = """
        name: grid
        data: { path: d, synthesize: { images: 70, size: 32, seed: 1 } }
        backbones: [lightweight-cnn]
        seeds: [1, 2]
        hyperparameters:
          learningRate: [0.001, 0.01]
          patience: [2, 4]
          step: [1, 3]
          decay: [0.1]
          epochs: [20]
          fixedTopN: [0, 1, 2]
        """;

    [Fact]
    public void Expands_each_strategy_over_its_own_axes()
    {
        var trials = SweepGrid.Expand(SweepSpecParser.Parse(Spec));

        // dynamic: 1 backbone x 2 lr x 2 p x 2 k x 1 decay x 1 n x 2 seeds; fixed: 1 x 2 x 2 x 3 topN x 1 x 2.
        trials.Count(t => t.Spec.Strategy == Strategy.Dynamic).Should().Be(16);
        trials.Count(t => t.Spec.Strategy == Strategy.FixedTopN).Should().Be(24);
        trials.Select(t => t.Id).Should().OnlyHaveUniqueItems();
        trials.Where(t => t.Spec.Strategy == Strategy.Dynamic).Should().OnlyContain(t => t.Spec.FixedTopN == 0);
        trials.Where(t => t.Spec.Strategy == Strategy.FixedTopN)
            .Should().OnlyContain(t => t.Spec.Step == 0 && t.Spec.Decay == 0);
        trials.Should().OnlyContain(t => t.Id == Ids.TrialId(t.Spec) && t.CanonicalJson == TrialSpecJson.Canonical(t.Spec));
    }

    [Fact]
    public void Copies_the_sweep_level_settings_into_every_trial()
    {
        var spec = SweepSpecParser.Parse(Spec + "\noptimizer: sgd\nbatchSize: 8\ninputSize: 32\nstop: algorithm-1\nmaxRounds: 3\n");
        var trial = SweepGrid.Expand(spec)[0].Spec;

        trial.Should().Be(new TrialSpec("grid", "lightweight-cnn", Strategy.Dynamic, 0.001, 2, 1, 0.1, 20, 0, 0,
            StopPolicy.Algorithm1, 3, Optimizer.Sgd, 8, 32, 1, new DataSpec("d", new SynthesizeSpec(70, 32, 1))));
    }

    [Fact]
    public void Epochs_given_per_backbone_set_that_backbone_s_axis_and_the_others_keep_the_default_and_their_ids()
    {
        var two = Spec.Replace("[lightweight-cnn]", "[lightweight-cnn, mobilenet_v2]");
        var plain = SweepGrid.Expand(SweepSpecParser.Parse(two));
        var mapped = SweepGrid.Expand(SweepSpecParser.Parse(two.Replace("epochs: [20]", "epochs: { default: [20], mobilenet_v2: [5, 9] }")));

        mapped.Where(t => t.Spec.Backbone == "lightweight-cnn").Select(t => t.Id)
            .Should().Equal(plain.Where(t => t.Spec.Backbone == "lightweight-cnn").Select(t => t.Id));
        var mobilenet = mapped.Where(t => t.Spec.Backbone == "mobilenet_v2").ToList();
        mobilenet.Should().HaveCount(2 * plain.Count(t => t.Spec.Backbone == "mobilenet_v2"));
        mobilenet.Select(t => t.Spec.MaxEpochs).Distinct().Should().BeEquivalentTo([5, 9]);
        var withoutDefault = SweepGrid.Expand(SweepSpecParser.Parse(two.Replace("epochs: [20]", "epochs: { mobilenet_v2: 5 }")));
        withoutDefault.Where(t => t.Spec.Backbone == "lightweight-cnn").Should().OnlyContain(t => t.Spec.MaxEpochs == 100);
    }

    [Fact]
    public void Any_axis_may_be_given_per_backbone_and_a_backbone_s_other_axes_stay_the_sweep_s()
    {
        var two = Spec.Replace("[lightweight-cnn]", "[lightweight-cnn, mobilenet_v2]");
        var spec = SweepSpecParser.Parse(two
            .Replace("patience: [2, 4]", "patience: { default: [2, 4], mobilenet_v2: 3 }")
            .Replace("learningRate: [0.001, 0.01]", "learningRate: { default: [0.001, 0.01], lightweight-cnn: [0.0003] }"));
        var trials = SweepGrid.Expand(spec);

        var mobilenet = trials.Where(t => t.Spec.Backbone == "mobilenet_v2").ToList();
        mobilenet.Should().OnlyContain(t => t.Spec.Patience == 3);
        mobilenet.Select(t => t.Spec.LearningRate).Distinct().Should().BeEquivalentTo([0.001, 0.01]);
        var light = trials.Where(t => t.Spec.Backbone == "lightweight-cnn").ToList();
        light.Should().OnlyContain(t => t.Spec.LearningRate == 0.0003);
        light.Select(t => t.Spec.Patience).Distinct().Should().BeEquivalentTo([2, 4]);
        spec.Hyperparameters.Patience.Should().Equal(2, 4);
    }

    [Fact]
    public void The_order_is_deterministic_and_the_same_spec_gives_the_same_ids()
    {
        var a = SweepGrid.Expand(SweepSpecParser.Parse(Spec)).Select(t => t.Id);
        var b = SweepGrid.Expand(SweepSpecParser.Parse(Spec)).Select(t => t.Id);
        a.Should().Equal(b);
    }

    [Fact]
    public void Adding_a_backbone_adds_only_its_trials()
    {
        var before = SweepGrid.Expand(SweepSpecParser.Parse(Spec));
        var after = SweepGrid.Expand(SweepSpecParser.Parse(Spec.Replace("[lightweight-cnn]", "[lightweight-cnn, mobilenet_v2]")));

        after.Select(t => t.Id).Should().Contain(before.Select(t => t.Id));
        var added = after.Where(t => !before.Any(b => b.Id == t.Id)).ToList();
        added.Should().HaveCount(before.Count).And.OnlyContain(t => t.Spec.Backbone == Backbones.MobileNetV2);
    }

    [Fact]
    public void The_canonical_json_has_a_fixed_shape()
    {
        var spec = new TrialSpec("demo", "mobilenet_v2", Strategy.Dynamic, 1e-4, 5, 3, 0.1, 100, 0, 0, StopPolicy.PlateauAfterFullUnfreeze,
            10, Optimizer.Adam, 32, 224, 7, new DataSpec("data/x", null));

        TrialSpecJson.Canonical(spec).Should().Be(
            """{"sweep":"demo","backbone":"mobilenet_v2","strategy":"dynamic","learningRate":0.0001,"patience":5,"step":3,"decay":0.1,"maxEpochs":100,"fixedTopN":0,"minDelta":0,"stopPolicy":"plateau-after-full-unfreeze","maxRounds":10,"optimizer":"adam","batchSize":32,"inputSize":224,"seed":7,"classBalance":"sampler","data":{"path":"data/x","synthesize":null}}""");
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(1e-5)]
    [InlineData(0.30000000000000004)]
    [InlineData(1.0 / 3)]
    [InlineData(123456789.125)]
    public void The_canonical_json_round_trips(double lr)
    {
        var spec = new TrialSpec("demo", "lightweight-cnn", Strategy.FixedTopN, lr, 5, 0, 0, 100, 2, 0.001, StopPolicy.Algorithm1,
            4, Optimizer.Sgd, 8, 64, 2, new DataSpec("d", new SynthesizeSpec(700, 64, 1)));

        TrialSpecJson.Deserialize(TrialSpecJson.Canonical(spec)).Should().Be(spec);
    }

    [Fact]
    public void Negative_zero_is_spelled_as_zero()
    {
        var spec = new TrialSpec("demo", "lightweight-cnn", Strategy.Dynamic, 0.1, 5, 3, 0.1, 10, 0, -0.0, StopPolicy.Algorithm1,
            4, Optimizer.Sgd, 8, 64, 2, new DataSpec("d", null));
        Ids.TrialId(spec).Should().Be(Ids.TrialId(spec with { MinDelta = 0.0 }));
    }

    [Fact]
    public void Deserialize_rejects_invalid_json()
    {
        var act = () => TrialSpecJson.Deserialize("""{"sweep":"demo"}""");
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Ids_are_prefixed_sha256_digests()
    {
        var spec = SweepGrid.Expand(SweepSpecParser.Parse(Spec))[0];
        spec.Id.Value.Should().MatchRegex("^t-[0-9a-f]{12}$");
        spec.Id.Value.Should().Be("t-" + Sha256Hex(spec.CanonicalJson)[..12]);
        Ids.SweepId("demo").Value.Should().Be("sw-" + Sha256Hex("demo")[..10]);
        Ids.SweepId("demo").Value.Should().Be("sw-2a97516c35");
    }

    private static string Sha256Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}
