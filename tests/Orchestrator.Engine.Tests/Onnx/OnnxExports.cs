namespace Orchestrator.Engine.Tests.Onnx;

/// <summary>ONNX files written by Debian's python3-torch (torch.onnx.export), for the import tests.</summary>
public static class OnnxExports
{
    /// <summary>The bundled ImageNet ResNet-18 (CNTK export), copied to the test output by build/pretrained-resnet18.props.</summary>
    public static string ResNet18ImageNet => Path.Combine(AppContext.BaseDirectory, "pretrained", "ResNet18.onnx");

    /// <summary>Exports torchvision models with random weights (random BatchNorm statistics too) and no classifier,
    /// so that each file's output is the pooled features: dir/ARCH.onnx for each, at side x side, batch dynamic.</summary>
    public static void Torchvision(string dir, int side, params string[] architectures)
    {
        var script = Path.Combine(dir, "export_torchvision.py");
        File.WriteAllText(script, $$$"""
            import sys, torch, torchvision
            torch.manual_seed(7)
            for arch in sys.argv[2:]:
                model = getattr(torchvision.models, arch)()
                if hasattr(model, "fc"):
                    model.fc = torch.nn.Identity()
                else:
                    model.classifier = torch.nn.Identity()
            {{{Indent(ReferencePython.RandomizeBatchNorm, "    ")}}}
                model.eval()
                torch.onnx.export(model, torch.randn(1, 3, {{{side}}}, {{{side}}}), f"{sys.argv[1]}/{arch}.onnx",
                                  input_names=["image"], output_names=["features"],
                                  dynamic_axes={"image": {0: "n"}, "features": {0: "n"}})
            """);
        Python(script, [dir, .. architectures]);
    }

    /// <summary>Runs a python script (python3-torch) with arguments; throws with its output when it fails.</summary>
    public static void Python(string script, IEnumerable<string> args)
    {
        var quoted = string.Join(' ', new[] { script }.Concat(args).Select(a => $"\"{a}\""));
        var (code, output) = ReferencePython.Run(quoted, TimeSpan.FromMinutes(3));
        if (code != 0) throw new InvalidOperationException($"python3 {quoted} failed: {output}");
    }

    private static string Indent(string text, string prefix) =>
        string.Join('\n', text.Split('\n').Select(l => l.Length > 0 ? prefix + l : l));
}
