using Orchestrator.Engine.Interop;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>Our mobilenet_v2 against torchvision 0.14's, run by Debian's python3 as the oracle.</summary>
public sealed class MobileNetV2ParityTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [TorchvisionFact]
    public void Names_and_pooled_features_match_torchvision() =>
        ParityHarness.AssertMatches(output, "mobilenet_v2", 96, """
            model = torchvision.models.mobilenet_v2(weights=None)
            def backbone_state():
                return {k: v for k, v in model.state_dict().items() if k.startswith("features.")}
            def features(x):
                return torch.nn.functional.adaptive_avg_pool2d(model.features(x), 1).flatten(1)
            """);

    [Fact]
    public void Loading_backbone_tensors_of_the_wrong_shape_or_name_fails_clearly()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("mobilenet_v2"));
        var path = _tmp.File("bad.raw");
        WriteRaw(path, ("features.0.0.weight", [16, 3, 3, 3]));
        trainer.Invoking(t => t.LoadBackboneWeights(path)).Should().Throw<EngineException>()
            .WithMessage("*'features.0.0.weight' has shape [16, 3, 3, 3], the model expects [32, 3, 3, 3]*");
        WriteRaw(path, ("classifier.1.weight", [1000, 1280]));
        trainer.Invoking(t => t.LoadBackboneWeights(path)).Should().Throw<EngineException>()
            .WithMessage("*'classifier.1.weight' is not a backbone tensor of mobilenet_v2*");
        WriteRaw(path, ("features.0.0.weight", [32, 3, 3, 3]));
        trainer.Invoking(t => t.LoadBackboneWeights(path)).Should().Throw<EngineException>()
            .WithMessage("*lacks backbone tensor*");
    }

    private static void WriteRaw(string path, params (string Name, long[] Shape)[] tensors)
    {
        using var w = new BinaryWriter(File.Create(path));
        w.Write("OTERAW01"u8);
        w.Write((uint)tensors.Length);
        foreach (var (name, shape) in tensors)
        {
            var encoded = System.Text.Encoding.UTF8.GetBytes(name);
            w.Write((uint)encoded.Length);
            w.Write(encoded);
            w.Write(0u);
            w.Write((uint)shape.Length);
            foreach (var d in shape) w.Write(d);
            w.Write(new byte[4 * shape.Aggregate(1L, (a, b) => a * b)]);
        }
    }
}
