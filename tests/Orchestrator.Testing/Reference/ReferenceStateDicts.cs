using System.Globalization;

namespace Orchestrator.Testing;

/// <summary>
/// Random-weight PyTorch models saved as a user would (<c>torch.save(dict(model.state_dict()), f)</c>), with an
/// input and the model's own pooled features and ImageNet logits for it, made by Debian's python3.
/// </summary>
public static class ReferenceStateDicts
{
    private const string Header = """
        import re, sys
        import torch, torchvision
        arch, size, out, old_style = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "old-style"
        torch.manual_seed(1234)

        """;

    private const string Torchvision = """
        if arch == "inception_v3":
            model = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=True)
        else:
            model = getattr(torchvision.models, arch)(weights=None)
        pool = lambda m: torch.nn.functional.adaptive_avg_pool2d(m, 1).flatten(1)
        def features(x):
            if arch == "densenet121":
                return pool(torch.relu(model.features(x)))
            if arch in ("vgg16", "mobilenet_v2", "efficientnet_v2_s"):
                return pool(model.features(x))
            seen = []
            hook = model.fc.register_forward_hook(lambda m, i, o: seen.append(i[0]))
            model(x)
            hook.remove()
            return seen[0]
        logits = lambda x: model(x)

        """;

    private const string Xception = """

        logits = lambda x: model.fc(features(x))

        """;

    private const string Body = ReferencePython.RandomizeBatchNorm + """
        model.eval()
        state = dict(model.state_dict())
        if old_style:
            # The names of checkpoints from before module names could hold no dots, as torchvision's own densenet
            # files, which predate num_batches_tracked too.
            state = {re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v for k, v in state.items()
                     if not k.endswith("num_batches_tracked")}
            assert any(".norm.1." in k for k in state)
        torch.save(state, out + "/state_dict.pt")
        x = torch.randn(2, 3, size, size)
        torch.save({"input": x}, out + "/input.pt")
        with torch.no_grad():
            expected = {"features": features(x), "logits": logits(x)}
        torch.save(expected, out + "/expected.pt")
        # The same as raw little-endian floats, for the C# side.
        x.numpy().astype("<f4").tofile(out + "/input.f32")
        expected["features"].numpy().astype("<f4").tofile(out + "/features.f32")
        print(len(state))
        """;

    private const string CompareScript = """
        import sys, torch
        ours, expected = torch.load(sys.argv[1]), torch.load(sys.argv[2])
        print("keys", ",".join(sorted(ours)))
        for key in sorted(ours):
            e, a = expected[key], ours[key]
            assert e.shape == a.shape, (key, e.shape, a.shape)
            scale = e.abs().max()
            print(key, "x".join(map(str, a.shape)), float(((e - a).abs() / (e.abs() + 1e-3 * scale)).max()))
        """;

    /// <summary>Writes state_dict.pt, input.pt (2 x 3 x size x size) and expected.pt (features, logits) into
    /// <paramref name="directory"/>, and input.f32 and features.f32 as raw floats; returns the number of state dict
    /// entries.</summary>
    public static int Write(string directory, string architecture, int size, bool oldStyle = false)
    {
        var script = Header + (architecture == "xception" ? XceptionReference.Python + Xception : Torchvision) + Body;
        var text = Run(directory, "make_state_dict.py", script,
            $"{architecture} {size} \"{directory}\" {(oldStyle ? "old-style" : "new-style")}");
        return int.Parse(text.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
    }

    /// <summary>Writes torch.save({"input": torch.randn(shape)}) to <paramref name="path"/>.</summary>
    public static void WriteInput(string path, params int[] shape)
    {
        var dims = string.Join(", ", shape);
        Run(Path.GetDirectoryName(path)!, "make_input.py",
            $"import sys, torch\ntorch.save({{\"input\": torch.randn({dims})}}, sys.argv[1])\n", $"\"{path}\"");
    }

    /// <summary>Loads both files with torch.load: the keys of <paramref name="ours"/>, and per key its shape and the
    /// worst relative difference from <paramref name="expected"/>'s.</summary>
    public static (string Keys, Dictionary<string, (string Shape, double Worst)> Values) Compare(string ours, string expected)
    {
        var text = Run(Path.GetDirectoryName(ours)!, "compare.py", CompareScript, $"\"{ours}\" \"{expected}\"");
        var lines = text.Trim().Split('\n').Select(l => l.Split(' ')).ToList();
        var keys = lines.Single(l => l[0] == "keys")[1];
        var values = lines.Where(l => l[0] != "keys" && l.Length == 3)
            .ToDictionary(l => l[0], l => (l[1], double.Parse(l[2], CultureInfo.InvariantCulture)));
        return (keys, values);
    }

    private static string Run(string directory, string scriptName, string script, string arguments)
    {
        var path = Path.Combine(directory, scriptName);
        File.WriteAllText(path, script);
        var (code, text) = ReferencePython.Run($"\"{path}\" {arguments}", TimeSpan.FromMinutes(4));
        if (code != 0) throw new InvalidOperationException($"{scriptName} failed: {text}");
        return text;
    }
}
