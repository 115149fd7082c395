using Orchestrator.Engine.Datasets;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>
/// Our xception against <see cref="XceptionReference"/>, a PyTorch Xception with the parameter names of timm's
/// legacy_xception, run by Debian's python3.
/// </summary>
public sealed class XceptionParityTests(ITestOutputHelper output)
    : TinyDataTests(trainPerClass: 6, valPerClass: 1, size: 32, seed: 5)
{
    [TorchvisionFact]
    public void Names_and_pooled_features_match_a_legacy_xception_reference() =>
        ParityHarness.AssertMatches(output, "xception", 96, XceptionReference.Python);

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(8)]
    public void An_epoch_changes_only_the_head_and_the_deepest_m_of_eight_groups(int m)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("xception"));
        trainer.GroupCount.Should().Be(8);
        BackboneGroupChecks.AssertEpochChangesOnlyTheHeadAndTheDeepestGroups(trainer, Data, Train, m);
    }
}

/// <summary>One epoch with m groups unfrozen changes the head and exactly the deepest m groups' parameters.</summary>

