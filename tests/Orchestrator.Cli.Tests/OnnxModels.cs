using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>Small ONNX files written once by Debian's python3-torch: a CNN with the common operators (a residual Add,
/// a Concat, BatchNorm kept by exporting in PRESERVE mode, grouped stride-2 convolution, ReLU6 as Clip, a
/// squeeze-excite Mul, a Linear classifier), the same with a Tanh (unsupported), and an MLP over the image (no
/// spatial output).</summary>
public sealed class OnnxModels
{
    public const string Script = """
        import sys, torch
        import torch.nn as nn
        import torch.nn.functional as F
        out = sys.argv[1]
        torch.manual_seed(3)

        class Small(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
                self.a = nn.Conv2d(8, 8, 3, padding=1)
                self.b = nn.Conv2d(8, 8, 1)
                self.pool = nn.MaxPool2d(2)
                self.down = nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=2, bias=False)
                self.bn = nn.BatchNorm2d(16)
                self.se = nn.Conv2d(16, 16, 1)
                self.fc = nn.Linear(16, 5)
            def forward(self, x):
                x = self.stem(x)
                y = torch.relu(self.a(x)) + x
                z = self.pool(torch.cat([y, torch.sigmoid(self.b(x))], 1))
                z = F.relu6(self.bn(self.down(z)))
                z = z * torch.sigmoid(self.se(F.adaptive_avg_pool2d(z, 1)))
                return self.fc(torch.flatten(F.adaptive_avg_pool2d(z, 1), 1))

        class WithTanh(Small):
            def forward(self, x):
                return super().forward(torch.tanh(self.stem(x))[:, :3])

        class Mlp(nn.Module):
            def __init__(self):
                super().__init__()
                self.l1 = nn.Linear(3 * 32 * 32, 16)
                self.l2 = nn.Linear(16, 5)
            def forward(self, x):
                return self.l2(torch.relu(self.l1(torch.flatten(x, 1))))

        for name, model in [("small", Small()), ("tanh", WithTanh()), ("mlp", Mlp())]:
            model.eval()
            torch.onnx.export(model, torch.randn(1, 3, 32, 32), f"{out}/{name}.onnx", input_names=["image"],
                              output_names=["logits"], dynamic_axes={"image": {0: "n"}, "logits": {0: "n"}},
                              training=torch.onnx.TrainingMode.PRESERVE)
        """;

    private readonly Lazy<string> _dir = new(Write);

    public string Small => Path.Combine(_dir.Value, "small.onnx");
    public string WithTanh => Path.Combine(_dir.Value, "tanh.onnx");
    public string Mlp => Path.Combine(_dir.Value, "mlp.onnx");

    private static string Write()
    {
        var dir = Cli.TempDir();
        var script = Path.Combine(dir, "make_onnx.py");
        File.WriteAllText(script, Script);
        var (code, output) = ReferencePython.Run($"\"{script}\" \"{dir}\"", TimeSpan.FromMinutes(2));
        if (code != 0) throw new InvalidOperationException($"python3 {script} failed: {output}");
        return dir;
    }
}
