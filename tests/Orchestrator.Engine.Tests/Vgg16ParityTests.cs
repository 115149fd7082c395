using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>Our vgg16 against torchvision 0.14's, run by Debian's python3 as the oracle; its layer groups.</summary>
public sealed class Vgg16ParityTests(ITestOutputHelper output) : TinyDataTests(trainPerClass: 6, valPerClass: 1, size: 32, seed: 5)
{
    // One group per convolution, features.0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28.
    private static readonly long[] GroupParameters =
    [
        1_792, 36_928, 73_856, 147_584, 295_168, 590_080, 590_080,
        1_180_160, 2_359_808, 2_359_808, 2_359_808, 2_359_808, 2_359_808,
    ];

    [TorchvisionFact]
    public void Names_and_pooled_features_match_torchvision() =>
        ParityHarness.AssertMatches(output, "vgg16", 64, """
            model = torchvision.models.vgg16(weights=None)
            def backbone_state():
                return {k: v for k, v in model.state_dict().items() if k.startswith("features.")}
            def features(x):
                # Run channels-last, as the engine does: torch's own contiguous and channels-last float32 results
                # differ by 1.0e-4 relative here (summation order), the harness's limit.
                model.to(memory_format=torch.channels_last)
                x = x.contiguous(memory_format=torch.channels_last)
                return torch.nn.functional.adaptive_avg_pool2d(model.features(x), 1).flatten(1)
            """);

    [Fact]
    public void Thirteen_groups_partition_torchvisions_14_714_688_feature_parameters()
    {
        GroupParameters.Sum().Should().Be(14_714_688);
        BackboneGroupChecks.AssertGroups("vgg16", GroupParameters, featureDimension: 512);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(13)]
    public void An_epoch_changes_only_the_head_and_the_deepest_m_groups(int m)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("vgg16"));
        BackboneGroupChecks.AssertEpochChangesOnlyTheHeadAndTheDeepestGroups(trainer, Data, Train[..16], m);
    }
}
