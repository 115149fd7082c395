using Orchestrator.Engine.Interop;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>Our inception_v3 against torchvision 0.14's (no auxiliary classifier), run by Debian's python3.</summary>
public sealed class InceptionV3ParityTests(ITestOutputHelper output)
    : TinyDataTests(trainPerClass: 11, valPerClass: 1, size: 32, seed: 1)
{
    private const string Reference = """
        model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False, transform_input=True)
        model.fc = torch.nn.Identity()
        def backbone_state():
            return dict(model.state_dict())
        def features(x):
            return model(x)
        """;

    // Our engine transforms the input as torchvision does for its pretrained weights (transform_input=True).
    [TorchvisionFact]
    public void Names_and_pooled_features_match_torchvision_with_its_input_transform() =>
        ParityHarness.AssertMatches(output, "inception_v3", 96, Reference);

    [TorchvisionFact]
    public void The_smallest_input_torchvision_accepts_works_too() =>
        ParityHarness.AssertMatches(output, "inception_v3", 75, Reference);

    [Fact]
    public void Inputs_below_75_pixels_are_refused_clearly()
    {
        var create = () => TorchTrainer.Create(TinyData.Options("inception_v3", inputSize: 64));
        create.Should().Throw<EngineException>().WithMessage("*inception_v3 needs inputs of at least 75x75, got 64x64*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void An_epoch_changes_only_the_head_and_the_deepest_m_groups(int m)
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("inception_v3", inputSize: 75));
        trainer.GroupCount.Should().Be(11);
        BackboneGroupChecks.AssertEpochChangesOnlyTheHeadAndTheDeepestGroups(trainer, Data, Train[..32], m);
    }
}
