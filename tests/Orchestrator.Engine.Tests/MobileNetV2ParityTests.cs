using Orchestrator.Engine.Interop;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>Our mobilenet_v2 against torchvision 0.14's, run by Debian's python3 as the oracle.</summary>
public sealed class MobileNetV2ParityTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    // Writes torchvision's features.* state (with randomized BatchNorm statistics, so that they matter) in the
    // engine's raw tensor format, an input batch and the pooled features torchvision computes for it.
    private const string Script = """
        import struct, sys
        import numpy as np
        import torch, torchvision
        out = sys.argv[1]
        torch.manual_seed(1234)
        model = torchvision.models.mobilenet_v2(weights=None)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
        model.eval()
        state = {k: v for k, v in model.state_dict().items() if k.startswith("features.")}
        with open(out + "/backbone.raw", "wb") as f:
            f.write(b"OTERAW01")
            f.write(struct.pack("<I", len(state)))
            for name, t in state.items():
                t = t.contiguous()
                code = {torch.float32: 0, torch.int64: 1}[t.dtype]
                encoded = name.encode()
                f.write(struct.pack("<I", len(encoded)) + encoded)
                f.write(struct.pack("<II", code, t.dim()))
                f.write(struct.pack("<%dq" % t.dim(), *t.shape))
                f.write(t.numpy().tobytes())
        x = torch.randn(2, 3, 96, 96)
        with torch.no_grad():
            pooled = torch.nn.functional.adaptive_avg_pool2d(model.features(x), 1).flatten(1)
        x.numpy().astype("<f4").tofile(out + "/input.f32")
        pooled.numpy().astype("<f4").tofile(out + "/expected.f32")
        print(len(state))
        """;

    [TorchvisionFact]
    public void Names_and_pooled_features_match_torchvision()
    {
        var scriptPath = _tmp.File("reference.py");
        File.WriteAllText(scriptPath, Script);
        var (code, text) = ReferencePython.Run($"\"{scriptPath}\" \"{_tmp.Path}\"", TimeSpan.FromMinutes(2));
        code.Should().Be(0, text);
        var written = int.Parse(text.Trim().Split('\n')[^1]);

        using var trainer = TorchTrainer.Create(TinyData.Options("mobilenet_v2", inputSize: 96));
        trainer.LoadBackboneWeights(_tmp.File("backbone.raw")).Should().Be(written,
            "every torchvision features.* tensor maps to one of ours by name and shape");

        var input = ReadFloats(_tmp.File("input.f32"));
        var expected = ReadFloats(_tmp.File("expected.f32"));
        var actual = trainer.Features(input, 2, 96, 96);
        actual.Should().HaveCount(expected.Length).And.HaveCount(2 * 1280);

        var scale = expected.Max(MathF.Abs);
        var worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a) / (MathF.Abs(e) + 1e-3f * scale)).Max();
        output.WriteLine($"{written} tensors loaded; max |pooled| = {scale}; worst relative difference = {worst:E2}");
        worst.Should().BeLessThan(1e-4f);
    }

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

    private static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
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
