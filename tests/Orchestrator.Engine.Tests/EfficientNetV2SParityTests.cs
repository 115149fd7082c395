using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>Our efficientnet_v2_s against torchvision 0.14's, run by Debian's python3 as the oracle.</summary>
public sealed class EfficientNetV2SParityTests(ITestOutputHelper output)
    : TinyDataTests(trainPerClass: 6, valPerClass: 1, size: 32, seed: 5)
{
    [TorchvisionFact]
    public void Names_and_pooled_features_match_torchvision() =>
        ParityHarness.AssertMatches(output, "efficientnet_v2_s", 96, """
            model = torchvision.models.efficientnet_v2_s(weights=None)
            def backbone_state():
                return {k: v for k, v in model.state_dict().items() if not k.startswith("classifier.")}
            def features(x):
                return torch.nn.functional.adaptive_avg_pool2d(model.features(x), 1).flatten(1)
            """);

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(10)]
    public void An_epoch_changes_only_the_head_and_the_deepest_m_of_ten_groups(int m)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("efficientnet_v2_s"));
        trainer.GroupCount.Should().Be(10);
        BackboneGroupChecks.AssertEpochChangesOnlyTheHeadAndTheDeepestGroups(trainer, Data, Train, m);
    }
}
