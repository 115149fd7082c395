using Orchestrator.Engine.Datasets;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>Our densenet121 against torchvision 0.14's, run by Debian's python3 as the oracle.</summary>
public sealed class DenseNet121ParityTests(ITestOutputHelper output)
    : TinyDataTests(trainPerClass: 11, valPerClass: 1, size: 32, seed: 1)
{
    private const string Model = """
        model = torchvision.models.densenet121(weights=None)
        def features(x):
            y = torch.nn.functional.relu(model.features(x))
            return torch.nn.functional.adaptive_avg_pool2d(y, 1).flatten(1)

        """;

    [TorchvisionFact]
    public void Names_and_pooled_features_match_torchvision() =>
        ParityHarness.AssertMatches(output, "densenet121", 64, Model + """
            def backbone_state():
                return {k: v for k, v in model.state_dict().items() if not k.startswith("classifier.")}
            """);

    [TorchvisionFact]
    public void Old_style_layer_names_load_as_torchvision_renames_them() =>
        // Checkpoints from before torchvision 0.3 name "denselayerK.norm.1", "conv.2", ... and lack num_batches_tracked.
        ParityHarness.AssertMatches(output, "densenet121", 64, Model + """
            import re
            def backbone_state():
                old = {}
                for k, v in model.state_dict().items():
                    if k.startswith("classifier.") or k.endswith("num_batches_tracked"):
                        continue
                    old[re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", k)] = v
                assert "features.denseblock1.denselayer1.norm.1.weight" in old
                return old
            """);

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void An_epoch_changes_only_the_head_and_the_deepest_m_groups(int m)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("densenet121"));
        trainer.GroupCount.Should().Be(8);
        BackboneGroupChecks.AssertEpochChangesOnlyTheHeadAndTheDeepestGroups(trainer, Data, Train[..32], m);
    }
}

