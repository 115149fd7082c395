using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

public class SweepSpecParserTests
{
    private const string Full = """
        name: demo
        data:
          path: .orchestrator/data/demo
          synthesize: { images: 700, size: 64, seed: 3 }
        backbones: [lightweight-cnn, mobilenet_v2]
        strategies: [dynamic, fixed-top-n]
        seeds: [1, 2]
        inputSize: 64
        batchSize: 16
        optimizer: sgd
        stop: algorithm-1
        maxRounds: 4
        hyperparameters:
          learningRate: [0.001, 0.0001]
          patience: [5, 3]
          step: [3]
          decay: [0.1, 0.5]
          epochs: [100]
          fixedTopN: [0, 2]
          minDelta: 0.001
        """;

    private const string Minimal = """
        name: demo
        data:
          path: d
        backbones: lightweight-cnn
        """;

    [Fact]
    public void Reads_a_full_spec()
    {
        var spec = SweepSpecParser.Parse(Full);

        spec.Name.Should().Be("demo");
        spec.Data.Should().Be(new DataSpec(".orchestrator/data/demo", new SynthesizeSpec(700, 64, 3)));
        spec.Backbones.Should().Equal("lightweight-cnn", "mobilenet_v2");
        spec.Strategies.Should().Equal(Strategy.Dynamic, Strategy.FixedTopN);
        spec.Seeds.Should().Equal(1, 2);
        spec.InputSizes.Should().BeEquivalentTo(new Dictionary<string, int> { ["lightweight-cnn"] = 64, ["mobilenet_v2"] = 64 });
        spec.BatchSize.Should().Be(16);
        spec.Optimizer.Should().Be(Optimizer.Sgd);
        spec.StopPolicy.Should().Be(StopPolicy.Algorithm1);
        spec.MaxRounds.Should().Be(4);
        var h = spec.Hyperparameters;
        h.LearningRate.Should().Equal(0.001, 0.0001);
        h.Patience.Should().Equal(5, 3);
        h.Step.Should().Equal(3);
        h.Decay.Should().Equal(0.1, 0.5);
        h.Epochs.Should().Equal(100);
        h.FixedTopN.Should().Equal(0, 2);
        h.MinDelta.Should().Be(0.001);
    }

    [Fact]
    public void Fills_in_defaults_and_reads_scalars_as_one_element_lists()
    {
        var spec = SweepSpecParser.Parse(Minimal);

        spec.Data.Should().Be(new DataSpec("d", null));
        spec.Backbones.Should().Equal("lightweight-cnn");
        spec.Strategies.Should().Equal(Strategy.Dynamic, Strategy.FixedTopN);
        spec.Seeds.Should().Equal(1);
        spec.InputSizes.Should().BeEquivalentTo(new Dictionary<string, int> { ["lightweight-cnn"] = 224 });
        spec.Weights.Should().BeNull();
        spec.BatchSize.Should().Be(32);
        spec.Optimizer.Should().Be(Optimizer.Adam);
        spec.StopPolicy.Should().Be(StopPolicy.PlateauAfterFullUnfreeze);
        spec.MaxRounds.Should().Be(10);
        var h = spec.Hyperparameters;
        h.LearningRate.Should().Equal(0.001);
        h.Patience.Should().Equal(5);
        h.Step.Should().Equal(3);
        h.Decay.Should().Equal(0.1);
        h.Epochs.Should().Equal(100);
        h.FixedTopN.Should().Equal(2);
        h.MinDelta.Should().Be(0);
    }

    [Fact]
    public void Scalar_hyperparameters_are_one_element_lists()
    {
        var spec = SweepSpecParser.Parse(Minimal + "\nhyperparameters:\n  patience: 7\n  decay: 0.25\n");
        spec.Hyperparameters.Patience.Should().Equal(7);
        spec.Hyperparameters.Decay.Should().Equal(0.25);
    }

    public static TheoryData<string, string> InvalidCases => new()
    {
        { Minimal.Replace("backbones: lightweight-cnn", "backbones: [lightweight-cnn, resnet9]"),
            $"spec: backbones: unknown backbone 'resnet9' (supported: {string.Join(", ", Backbones.Known)})" },
        { Minimal + "\nhyperparameters:\n  patience: [5, 0]\n", "spec: hyperparameters.patience: 0 is invalid (p must be >= 1)" },
        { Minimal + "\nhyperparameters:\n  step: 0\n", "spec: hyperparameters.step: 0 is invalid (k must be >= 1)" },
        { Minimal + "\nhyperparameters:\n  decay: 0\n",
            "spec: hyperparameters.decay: 0 is invalid (decay must be strictly between 0 and 1)" },
        { Minimal + "\nhyperparameters:\n  decay: 1\n",
            "spec: hyperparameters.decay: 1 is invalid (decay must be strictly between 0 and 1)" },
        { Minimal + "\nhyperparameters:\n  decay: 1.5\n",
            "spec: hyperparameters.decay: 1.5 is invalid (decay must be strictly between 0 and 1)" },
        { Minimal + "\nhyperparameters:\n  epochs: 0\n", "spec: hyperparameters.epochs: 0 is invalid (n must be >= 1)" },
        { Minimal + "\nhyperparameters:\n  epochs: { default: 4, vgg16: [2, 0] }\n",
            "spec: hyperparameters.epochs.vgg16: 0 is invalid (n must be >= 1)" },
        { Minimal + "\nhyperparameters:\n  patience: { default: 3, mobilenet_v2: [2, 2] }\n",
            "spec: hyperparameters.patience.mobilenet_v2: duplicate entry 2" },
        { Minimal + "\nhyperparameters:\n  epochs: { resnet9: 4 }\n",
            $"spec: hyperparameters.epochs.resnet9: unknown key (allowed here: {string.Join(", ", Backbones.Known)}, default)" },
        { Minimal + "\nhyperparameters:\n  learningRate: -0.1\n", "spec: hyperparameters.learningRate: -0.1 is invalid (must be > 0)" },
        { Minimal + "\nhyperparameters:\n  fixedTopN: -1\n", "spec: hyperparameters.fixedTopN: -1 is invalid (must be >= 0)" },
        { Minimal + "\nhyperparameters:\n  minDelta: -0.5\n", "spec: hyperparameters.minDelta: -0.5 is invalid (must be >= 0)" },
        { Minimal + "\nhyperparameters:\n  patience: five\n", "spec: hyperparameters.patience: 'five' is not an integer" },
        { Minimal + "\nhyperparameters:\n  patience: [3, 3]\n", "spec: hyperparameters.patience: duplicate entry 3" },
        { Minimal + "\nhyperparameters:\n  decay: [0.1, 1e-1]\n", "spec: hyperparameters.decay: duplicate entry 0.1" },
        { Minimal + "\nhyperparameters:\n  patience: []\n", "spec: hyperparameters.patience: must not be empty" },
        { Minimal + "\nhyperparameters:\n  gamma: 2\n",
            "spec: hyperparameters.gamma: unknown key (allowed here: learningRate, patience, step, decay, epochs, fixedTopN, minDelta, normalization, unfreezeEvery, stageTwoRate, discriminative)" },
        { "name: demo\nbackbones: lightweight-cnn\n", "spec: data: is required" },
        { "name: demo\ndata:\n  synthesize: { images: 10, size: 32 }\nbackbones: lightweight-cnn\n", "spec: data.path: is required" },
        { "data:\n  path: d\nbackbones: lightweight-cnn\n", "spec: name: is required" },
        { "name: demo\ndata:\n  path: d\n", "spec: backbones: is required" },
        { Minimal + "\nepochs: 3\n",
            "spec: epochs: unknown key (allowed here: name, data, backbones, strategies, seeds, inputSize, weights, batchSize, optimizer, stop, maxRounds, classBalance, augmentation, minorityShare, hyperparameters, schedules, search, pruning, replicates)" },
        { Minimal + "\nstrategies: [dynamic, greedy]\n", "spec: strategies: unknown strategy 'greedy' (supported: dynamic, fixed-top-n, full, linear-probe, two-stage, fixed-step, gradual, chain-thaw)" },
        { Minimal + "\nseeds: [1, 2, 1]\n", "spec: seeds: duplicate entry 1" },
        { Minimal + "\nbackbones: mobilenet_v2\n", "spec: line 5: Duplicate key backbones" },
        { Minimal.Replace("name: demo", "name: Demo Sweep"),
            "spec: name: 'Demo Sweep' is invalid (use lowercase letters, digits, '.', '_' and '-')" },
        { Minimal + "\ninputSize: 8\n", "spec: inputSize: 8 is invalid for lightweight-cnn (must be >= 16)" },
        { Minimal.Replace("lightweight-cnn", "vgg16") + "\ninputSize: 24\n", "spec: inputSize: 24 is invalid for vgg16 (must be >= 32)" },
        { Minimal.Replace("lightweight-cnn", "inception_v3") + "\ninputSize: { default: 64 }\n",
            "spec: inputSize.default: 64 is invalid for inception_v3 (must be >= 75)" },
        { Minimal.Replace("lightweight-cnn", "[lightweight-cnn, inception_v3]") + "\ninputSize: { inception_v3: 70 }\n",
            "spec: inputSize.inception_v3: 70 is invalid for inception_v3 (must be >= 75)" },
        { Minimal + "\ninputSize: { alexnet: 64 }\n",
            $"spec: inputSize.alexnet: unknown key (allowed here: {string.Join(", ", Backbones.Known)}, default)" },
        { Minimal + "\ninputSize: { default: big }\n", "spec: inputSize.default: 'big' is not an integer" },
        { Minimal + "\nweights: { resnet50: r.ote }\n", "spec: weights.resnet50: unknown key (allowed here: lightweight-cnn)" },
        { Minimal + "\nweights: [a.ote]\n", "spec: weights: expected a mapping of keys to values" },
        { Minimal + "\nbatchSize: 0\n", "spec: batchSize: 0 is invalid (must be >= 1)" },
        { Minimal + "\noptimizer: rmsprop\n", "spec: optimizer: unknown optimizer 'rmsprop' (supported: adam, sgd)" },
        { Minimal + "\nstop: never\n",
            "spec: stop: unknown stop policy 'never' (supported: plateau-after-full-unfreeze, algorithm-1)" },
        { Minimal + "\nmaxRounds: 0\n", "spec: maxRounds: 0 is invalid (must be >= 1)" },
        { Minimal + "\nhyperparameters: 3\n", "spec: hyperparameters: expected a mapping of keys to values" },
        { "name: demo\ndata: somewhere\nbackbones: lightweight-cnn\n", "spec: data: expected a mapping of keys to values" },
        { Minimal + "\nname: [a, b]\n", "spec: line 5: Duplicate key name" },
        { Minimal.Replace("name: demo", "name: [a, b]"), "spec: name: expected a single value" },
        { "", "spec: the document is empty" },
        { "- a\n- b\n", "spec: line 1: the top level must be a mapping of keys to values" },
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Rejects_an_invalid_spec_with_one_line_naming_the_field(string yaml, string message)
    {
        var act = () => SweepSpecParser.Parse(yaml);
        act.Should().Throw<SpecException>().Which.Message.Should().Be(message);
    }

    [Theory]
    [InlineData("name: demo\ndata:\n  path: d\nbackbones: [lightweight-cnn\nseeds: [1]\n")]
    [InlineData("name: demo\ndata:\n  path: d\n backbones: x\n")]
    [InlineData("name: demo\ndata:\n  path: \"unterminated\n")]
    public void Malformed_yaml_is_one_line_with_its_line_number(string yaml)
    {
        var act = () => SweepSpecParser.Parse(yaml);
        var message = act.Should().Throw<SpecException>().Which.Message;
        message.Should().MatchRegex(@"^spec: line \d+: \S");
        message.Should().NotContain("\n");
        message.Should().NotContain("(Line:");
    }

    [Fact]
    public void An_unclosed_flow_sequence_names_its_line()
    {
        var act = () => SweepSpecParser.Parse("name: demo\ndata:\n  path: d\nbackbones: [lightweight-cnn\nseeds: [1]\n");
        act.Should().Throw<SpecException>().Which.Message.Should().Be("spec: line 5: malformed YAML (an unclosed '[', '{' or quote?)");
    }

    [Fact]
    public void Input_sizes_default_per_backbone_and_can_be_set_for_all_or_per_backbone()
    {
        const string sweep = "name: s\ndata:\n  path: d\nbackbones: [xception, efficientnet_v2_s, inception_v3, vgg16]\n";

        SweepSpecParser.Parse(sweep).InputSizes.Should().BeEquivalentTo(new Dictionary<string, int>
            { ["xception"] = 299, ["efficientnet_v2_s"] = 384, ["inception_v3"] = 299, ["vgg16"] = 224 });
        SweepSpecParser.Parse(sweep + "inputSize: 128\n").InputSizes.Values.Should().AllBeEquivalentTo(128);
        SweepSpecParser.Parse(sweep + "inputSize: { default: 96, inception_v3: 128 }\n").InputSizes
            .Should().BeEquivalentTo(new Dictionary<string, int>
                { ["xception"] = 96, ["efficientnet_v2_s"] = 96, ["inception_v3"] = 128, ["vgg16"] = 96 });
        SweepSpecParser.Parse(sweep + "inputSize: { vgg16: 64 }\n").InputSizes["vgg16"].Should().Be(64);
        SweepSpecParser.Parse(sweep + "inputSize: { vgg16: 64 }\n").InputSizes["xception"].Should().Be(299);
    }

    [Fact]
    public void Pretrained_weights_go_to_their_backbones_trials_only_and_change_only_those_ids()
    {
        const string sweep = "name: s\ndata:\n  path: d\nbackbones: [resnet50, vgg16]\ninputSize: 64\n";
        var withWeights = SweepSpecParser.Parse(sweep + "weights: { resnet50: w/resnet50.ote }\n");

        withWeights.Weights.Should().BeEquivalentTo(new Dictionary<string, string> { ["resnet50"] = "w/resnet50.ote" });
        var before = SweepGrid.Expand(SweepSpecParser.Parse(sweep));
        var after = SweepGrid.Expand(withWeights);
        after.Where(t => t.Spec.Backbone == "resnet50").Should().OnlyContain(t => t.Spec.Weights == "w/resnet50.ote");
        after.Where(t => t.Spec.Backbone == "vgg16").Should().OnlyContain(t => t.Spec.Weights == null);
        after.Where(t => t.Spec.Backbone == "vgg16").Select(t => t.Id)
            .Should().Equal(before.Where(t => t.Spec.Backbone == "vgg16").Select(t => t.Id));
        after.Where(t => t.Spec.Backbone == "resnet50").Select(t => t.Id)
            .Should().NotIntersectWith(before.Select(t => t.Id));
        after.Select(t => TrialSpecJson.Deserialize(t.CanonicalJson)).Should().Equal(after.Select(t => t.Spec));
    }
}
