using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests;

/// <summary>
/// Compares one of our backbones with a PyTorch reference run by Debian's python3: random weights with
/// randomized BatchNorm statistics, eval mode, the same input; the pooled features must agree to 1e-4 relative.
/// The caller's Python defines <c>model</c> (a torch.nn.Module), <c>backbone_state()</c> (the backbone tensors
/// as a dict, named as our engine names them) and <c>features(x)</c> (pooled backbone output, N x D).
/// </summary>
public static class ParityHarness
{
    private const string Prologue = """
        import struct, sys
        import numpy as np
        import torch, torchvision
        out = sys.argv[1]
        size = int(sys.argv[2])
        torch.manual_seed(1234)

        """;

    private const string Epilogue = "\n" + ReferencePython.RandomizeBatchNorm + """
        model.eval()
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
        x = torch.randn(2, 3, size, size)
        with torch.no_grad():
            pooled = features(x)
        x.numpy().astype("<f4").tofile(out + "/input.f32")
        pooled.numpy().astype("<f4").tofile(out + "/expected.f32")
        print(len(state))
        """;

    /// <summary>Runs the reference, loads its tensors into our <paramref name="architecture"/> and compares.</summary>
    public static void AssertMatches(ITestOutputHelper output, string architecture, int inputSize, string pythonModel)
    {
        using var tmp = new TempDir();
        var scriptPath = tmp.File("reference.py");
        // The backbone state is taken after the BatchNorm randomization, hence a function the epilogue calls.
        File.WriteAllText(scriptPath, Prologue + pythonModel + Epilogue.Replace("model.eval()", "model.eval()\nstate = backbone_state()"));
        var (code, text) = ReferencePython.Run($"\"{scriptPath}\" \"{tmp.Path}\" {inputSize}", TimeSpan.FromMinutes(4));
        code.Should().Be(0, text);
        var written = int.Parse(text.Trim().Split('\n')[^1]);

        using var trainer = TorchTrainer.Create(TinyData.Options(architecture, inputSize: inputSize));
        trainer.LoadBackboneWeights(tmp.File("backbone.raw")).Should().Be(written,
            "every reference backbone tensor maps to one of ours by name and shape");

        var input = ReadFloats(tmp.File("input.f32"));
        var expected = ReadFloats(tmp.File("expected.f32"));
        var actual = trainer.Features(input, 2, inputSize, inputSize);
        actual.Should().HaveCount(expected.Length).And.HaveCount(2 * trainer.FeatureDimension);

        var scale = expected.Max(MathF.Abs);
        var worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a) / (MathF.Abs(e) + 1e-3f * scale)).Max();
        output.WriteLine($"{architecture}: {written} tensors loaded; max |pooled| = {scale}; worst relative difference = {worst:E2}");
        worst.Should().BeLessThan(1e-4f);
    }

    public static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
