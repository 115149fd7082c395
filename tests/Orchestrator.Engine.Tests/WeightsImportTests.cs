using Orchestrator.Engine.Interop;
using Orchestrator.Engine.Models;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>Architecture descriptions, and PyTorch state dicts turned into weights a trainer starts from.</summary>
public sealed class WeightsImportTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_architecture_describes_its_input()
    {
        var all = ArchitectureInfo.All();
        all.Select(a => a.Name).Where(Orchestrator.Domain.Specs.Backbones.Supported.Contains).Should().Equal("densenet121",
            "efficientnet_v2_s", "inception_v3", "lightweight-cnn", "mobilenet_v2", "resnet50", "vgg16", "xception");
        // Beside them, the ONNX backbones other tests of this process imported: registered with specs and engine alike.
        all.Select(a => a.Name).Should().Equal(Orchestrator.Domain.Specs.Backbones.Known.Order(StringComparer.Ordinal));
        var byName = all.ToDictionary(a => a.Name);
        byName["xception"].Should().BeEquivalentTo(new ArchitectureInfo("xception", 8, 299, 16, [0.5f, 0.5f, 0.5f],
            [0.5f, 0.5f, 0.5f], true));
        byName["inception_v3"].Should().BeEquivalentTo(new ArchitectureInfo("inception_v3", 11, 299, 75,
            [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], true));
        byName["efficientnet_v2_s"].DefaultInputSize.Should().Be(384);
        byName["lightweight-cnn"].Should().BeEquivalentTo(new ArchitectureInfo("lightweight-cnn", 4, 224, 16,
            [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], false));
        foreach (var name in new[] { "densenet121", "mobilenet_v2", "resnet50", "vgg16" })
            byName[name].DefaultInputSize.Should().Be(224, name);
        foreach (var a in all) a.Groups.Should().Be(EngineInfo.GroupCount(a.Name));
        // Specs resolve input sizes in the pure domain; it must say what the engine registers.
        foreach (var a in all)
        {
            Orchestrator.Domain.Specs.Backbones.DefaultInputSize(a.Name).Should().Be(a.DefaultInputSize, a.Name);
            Orchestrator.Domain.Specs.Backbones.MinInputSize(a.Name).Should().Be(a.MinInputSize, a.Name);
        }
    }

    [Fact]
    public void An_unknown_architecture_is_invalid_input_naming_the_supported_ones()
    {
        var act = () => ArchitectureInfo.Get("resnet9");
        act.Should().Throw<EngineException>().Where(e => e.InvalidInput)
            .WithMessage("unknown architecture 'resnet9' (supported: densenet121, *xception)");
    }

    [Fact]
    public void A_trainer_below_the_architecture_minimum_input_is_refused()
    {
        var act = () => TorchTrainer.Create(TinyData.Options("densenet121", inputSize: 24));
        act.Should().Throw<EngineException>().Where(e => e.InvalidInput)
            .WithMessage("densenet121 needs inputs of at least 32x32, got 24x24");
    }

    [Fact]
    public void Every_architecture_runs_at_its_minimum_input_size()
    {
        foreach (var a in ArchitectureInfo.All())
        {
            using var trainer = TorchTrainer.Create(TinyData.Options(a.Name, inputSize: a.MinInputSize));
            var features = trainer.Features(new float[3 * a.MinInputSize * a.MinInputSize], 1, a.MinInputSize, a.MinInputSize);
            features.Should().HaveCount(trainer.FeatureDimension, a.Name);
        }
    }

    [TorchvisionFact]
    public void An_imported_state_dict_loads_into_a_trainer_and_gives_pytorch_features_and_no_other_architecture_takes_it()
    {
        using var tmp = new TempDir();
        var entries = ReferenceStateDicts.Write(tmp.Path, "mobilenet_v2", 64);
        string imported = tmp.File("mobilenet_v2.otw");
        using (var weights = BackboneWeights.Open("mobilenet_v2", tmp.File("state_dict.pt")))
        {
            weights.FromStateDict.Should().BeTrue();
            weights.ClassifierTensors.Should().Be(2);
            weights.ImageNetClasses.Should().Be(1000);
            (weights.BackboneTensors + weights.ClassifierTensors).Should().Be(entries);
            weights.Save(imported);
        }
        File.Exists(imported + ".tmp").Should().BeFalse();

        using var trainer = TorchTrainer.Create(TinyData.Options("mobilenet_v2", inputSize: 64));
        trainer.LoadBackboneWeights(imported).Should().Be(entries - 2);
        var expected = ParityHarness.ReadFloats(tmp.File("features.f32"));
        var actual = trainer.Features(ParityHarness.ReadFloats(tmp.File("input.f32")), 2, 64, 64);
        var scale = expected.Max(MathF.Abs);
        var worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a) / (MathF.Abs(e) + 1e-3f * scale)).Max();
        output.WriteLine($"mobilenet_v2 imported, loaded into a trainer: worst relative difference {worst:E2}");
        worst.Should().BeLessThan(1e-4f);

        // The raw state dict loads the same way.
        using var direct = TorchTrainer.Create(TinyData.Options("mobilenet_v2", inputSize: 64));
        direct.LoadBackboneWeights(tmp.File("state_dict.pt")).Should().Be(entries - 2);
        direct.Features(ParityHarness.ReadFloats(tmp.File("input.f32")), 2, 64, 64).Should().Equal(actual);

        using var other = TorchTrainer.Create(TinyData.Options("resnet50", inputSize: 64));
        var before = other.ParameterChecksum(0);
        other.Invoking(t => t.LoadBackboneWeights(imported)).Should().Throw<EngineException>()
            .Where(e => e.InvalidInput).WithMessage("*holds mobilenet_v2 weights, not resnet50 weights*");
        other.ParameterChecksum(0).Should().Be(before);
    }
}
