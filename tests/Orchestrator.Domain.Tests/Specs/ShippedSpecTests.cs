using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

/// <summary>The sweep specs shipped in cluster-config/sweeps parse and say what docs/sweeps.md and docs/strategies.md say they do.</summary>
public class ShippedSpecTests
{
    internal static SweepSpec Load(string name) => SweepSpecParser.Parse(ReadRepositoryFile("cluster-config", "sweeps", name));

    /// <summary>The text of a file of the repository, from the path of its parts below the root.</summary>
    internal static string ReadRepositoryFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln"))) dir = dir.Parent;
        dir.Should().NotBeNull("the tests run inside the repository");
        return File.ReadAllText(Path.Combine([dir!.FullName, .. parts]));
    }

    [Fact]
    public void The_seven_backbone_spec_is_the_papers_final_configuration_at_the_weights_input_sizes()
    {
        var spec = Load("seven-backbones.yaml");

        spec.Backbones.Should().Equal(Backbones.Paper);
        spec.Strategies.Should().Equal(Strategy.Dynamic, Strategy.FixedTopN);
        spec.InputSizes.Should().BeEquivalentTo(new Dictionary<string, int>
        {
            ["xception"] = 299, ["inception_v3"] = 299, ["efficientnet_v2_s"] = 384,
            ["densenet121"] = 224, ["mobilenet_v2"] = 224, ["resnet50"] = 224, ["vgg16"] = 224,
        });
        spec.Weights.Should().NotBeNull().And.HaveCount(7);
        var h = spec.Hyperparameters;
        (h.Patience.Single(), h.Step.Single(), h.Decay.Single(), h.Epochs.Single()).Should().Be((5, 3, 0.1, 100));
        h.FixedTopN.Should().HaveCountGreaterThan(1, "n is chosen on validation among candidates");

        var trials = SweepGrid.Expand(spec);
        trials.Should().HaveCount(7 * (1 + h.FixedTopN.Count));
        trials.Should().OnlyContain(t => t.Spec.Weights == spec.Weights![t.Spec.Backbone]);
    }

    [Fact]
    public void The_demo_compares_an_imagenet_backbone_with_random_ones_under_both_strategies_on_synthetic_data()
    {
        var spec = Load("demo.yaml"); // resnet18-imagenet: registered by InstalledBackbones

        spec.Backbones.Should().Equal("resnet18-imagenet", "mobilenet_v2", "lightweight-cnn");
        spec.Strategies.Should().Equal(Strategy.FixedTopN, Strategy.Dynamic);
        spec.Data.Synthesize.Should().NotBeNull("the demo makes its own synthetic data");
        spec.Weights.Should().BeNull("the pretrained backbone carries its weights; the built-in ones start from random weights");
        foreach (var backbone in spec.Backbones)
            spec.InputSizes[backbone].Should().BeGreaterThanOrEqualTo(Backbones.MinInputSize(backbone));
    }
}
