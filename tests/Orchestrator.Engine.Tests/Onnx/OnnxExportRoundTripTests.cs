using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Models.Onnx;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests.Onnx;

/// <summary>
/// Export for deployment, judged by implementations this project did not write: ONNX Runtime on the exported model, and
/// torchvision (python3-torch) with the exported state dict, against the engine's own eval forward of the same net on
/// the same 64 inputs: relative difference (max |a - b| over max |b|) at most 1e-4, and the same top-1 everywhere. The
/// inputs are 64 images of uniform noise as the input pipeline hands them to the net, and every net has its BatchNorm
/// statistics estimated from those images first: they are not the identity, and the net stays well conditioned (with
/// statistics from a few striped or flat images, or from other inputs than those compared, efficientnet_v2_s's logits
/// reached 1e4 to 1e5 and every implementation rounded differently).
/// </summary>
public sealed class OnnxExportRoundTripTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private const int Images = 64;
    private const int Classes = TinyData.Classes;
    private readonly string _dir = Directory.CreateTempSubdirectory("onnx-export-").FullName;

    public void Dispose()
    {
        _data?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("lightweight-cnn", 32, false)]
    [InlineData("resnet50", 32, false)]
    [InlineData("densenet121", 32, false)]
    [InlineData("vgg16", 32, false)]
    [InlineData("inception_v3", 75, true)]
    [InlineData("xception", 32, false)]
    [InlineData("mobilenet_v2", 32, false)]
    [InlineData("efficientnet_v2_s", 64, false)]
    public void The_exported_onnx_model_computes_the_engines_logits(string arch, int side, bool uniformInputs)
    {
        using var trainer = Calibrated(arch, side);
        RoundTrip(trainer, arch, uniformInputs);
    }

    [Fact]
    public void An_imported_onnx_backbone_exports_too()
    {
        var library = new ModelLibrary(Path.Combine(_dir, "models"));
        library.Import(OnnxExports.ResNet18ImageNet, "export-resnet18-imagenet", new ImportOptions(), DateTimeOffset.UtcNow);
        using var trainer = Calibrated("export-resnet18-imagenet", 32);
        RoundTrip(trainer, "resnet18-imagenet");
    }

    [Fact]
    public void The_export_carries_the_metadata_it_is_given_and_a_dynamic_batch()
    {
        using var trainer = TorchTrainer.Create(TinyData.Options("lightweight-cnn", 32));
        var (graph, tensors) = trainer.ExportGraph();
        var path = Path.Combine(_dir, "meta.onnx");
        OnnxExport.Save(OnnxExport.Build(graph, tensors, TinyData.Classes, new Dictionary<string, string>
        {
            ["class_names"] = """["horizontal","vertical","flat"]""",
            ["mean"] = "0.485,0.456,0.406",
        }), path);

        using var session = new InferenceSession(path);
        session.ModelMetadata.CustomMetadataMap.Should().Contain("class_names", """["horizontal","vertical","flat"]""")
            .And.Contain("mean", "0.485,0.456,0.406");
        session.InputMetadata[OnnxExport.InputName].Dimensions.Should().Equal(-1, 3, 32, 32);
        session.OutputMetadata[OnnxExport.OutputName].Dimensions.Should().Equal(-1, TinyData.Classes);
        Directory.GetFiles(_dir).Should().Equal([path], "the temporary file was renamed into place");
    }

    /// <remarks>vgg16 at 32 px pools a 1x1 map into torchvision's 7x7 windows, at 64 px a 2x2 map into windows that
    /// overlap unevenly (the classifier weights them so that they average to the global mean); inception_v3 on inputs
    /// uniform in [-2, 2], as in <see cref="RoundTrip"/>.</remarks>
    [TorchvisionFact]
    public void Torchvision_loads_the_exported_state_dicts_and_computes_the_engines_logits()
    {
        (string Arch, int Side, bool UniformInputs)[] supported =
        [
            ("resnet50", 32, false), ("densenet121", 32, false), ("mobilenet_v2", 32, false), ("efficientnet_v2_s", 64, false),
            ("inception_v3", 75, true), ("vgg16", 32, false), ("vgg16", 64, false),
        ];
        var engine = new Dictionary<string, float[]>();
        foreach (var (arch, side, uniformInputs) in supported)
        {
            var name = $"{arch}-{side}";
            using var trainer = Calibrated(arch, side);
            using (var file = File.Create(Path.Combine(_dir, name + ".pt"))) trainer.ExportStateDict(file);
            output.WriteLine($"{name}.pt: {new FileInfo(Path.Combine(_dir, name + ".pt")).Length} bytes");
            var input = uniformInputs ? Uniform(side) : Input(trainer);
            SaveInput(name, input);
            engine[name] = trainer.Logits(input, Images, side, side);
        }
        var script = Path.Combine(_dir, "torchvision_logits.py");
        File.WriteAllText(script, $$"""
            import json, sys, torch, torchvision
            torch.set_num_threads(2)
            d = sys.argv[1]
            out = {}
            for arg in sys.argv[2:]:
                arch, side = arg.split(":")
                name, side = f"{arch}-{side}", int(side)
                x = torch.from_file(f"{d}/{name}.f32", size={{Images}} * 3 * side * side, dtype=torch.float32).view({{Images}}, 3, side, side)
                model = getattr(torchvision.models, arch)(num_classes={{Classes}})
                model.load_state_dict(torch.load(f"{d}/{name}.pt"))
                with torch.no_grad():
                    out[name] = model.eval()(x).flatten().tolist()
                del model
            print(json.dumps(out))
            """);
        var args = string.Join(' ', supported.Select(s => $"{s.Arch}:{s.Side}"));
        var (code, text) = ReferencePython.Run($"\"{script}\" \"{_dir}\" {args}", TimeSpan.FromMinutes(6));
        code.Should().Be(0, text);
        // stderr comes with it (torchvision warns that inception_v3's default initialization will change).
        using var doc = JsonDocument.Parse(text.Split('\n').Single(line => line.StartsWith('{')));
        foreach (var (name, logits) in engine)
        {
            var reference = doc.RootElement.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Agree(name + " (torchvision)", logits, reference);
        }
    }

    /// <summary>torchvision has no Xception; the engine's has the names and layout of timm's legacy_xception, and so
    /// has its state dict: <see cref="XceptionReference"/> (that layout, as timm is not installed), with its classifier
    /// made C-way, loads it strictly and computes the engine's logits.</summary>
    [TorchvisionFact]
    public void A_legacy_xception_loads_the_exported_xception_state_dict_and_computes_the_engines_logits()
    {
        const int side = 32;
        using var trainer = Calibrated("xception", side);
        TorchTrainer.TorchvisionRefusal("xception", side).Should().BeNull();
        using (var file = File.Create(Path.Combine(_dir, "xception.pt"))) trainer.ExportStateDict(file);
        var input = Input(trainer);
        SaveInput("xception", input);
        var script = Path.Combine(_dir, "legacy_xception_logits.py");
        File.WriteAllText(script, $$"""
            import json, sys, torch
            torch.set_num_threads(2)
            {{XceptionReference.Python}}
            d = sys.argv[1]
            model.fc = nn.Linear(2048, {{Classes}})
            model.load_state_dict(torch.load(f"{d}/xception.pt"))
            x = torch.from_file(f"{d}/xception.f32", size={{Images}} * 3 * {{side}} * {{side}}, dtype=torch.float32).view({{Images}}, 3, {{side}}, {{side}})
            with torch.no_grad():
                print(json.dumps(model.eval().fc(features(x)).flatten().tolist()))
            """);
        var (code, text) = ReferencePython.Run($"\"{script}\" \"{_dir}\"", TimeSpan.FromMinutes(3));
        code.Should().Be(0, text);
        var reference = JsonDocument.Parse(text.Split('\n').Single(line => line.StartsWith('['))).RootElement
            .EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        Agree("xception (legacy_xception layout)", trainer.Logits(input, Images, side, side), reference);
    }

    [Theory]
    [InlineData("lightweight-cnn", 32, "not in torchvision")]
    [InlineData("vgg16", 288, "at input 288x288 the last feature map is 9x9, and no weighting of the 7x7 windows")]
    public void Architectures_without_a_torchvision_counterpart_are_refused_saying_why(string arch, int side, string why)
    {
        TorchTrainer.TorchvisionRefusal(arch, side).Should().Contain(why);
        using var trainer = TorchTrainer.Create(TinyData.Options(arch, side));
        trainer.Invoking(t => t.ExportStateDict(Stream.Null)).Should().Throw<Orchestrator.Engine.Interop.EngineException>()
            .Where(e => e.InvalidInput && e.Message.Contains(why, StringComparison.Ordinal));
    }

    /// <summary>vgg16's map is side / 32 wide; torchvision averages it into 7x7 windows, and some weighting of those
    /// windows is the map's global average for maps of 1 to 8, 10 or 14 (a multiple of 7), not for 9, 11 or 15.</summary>
    [Theory]
    [InlineData(32, true)]
    [InlineData(64, true)]
    [InlineData(224, true)]
    [InlineData(287, true)]
    [InlineData(288, false)]
    [InlineData(320, true)]
    [InlineData(352, false)]
    [InlineData(448, true)]
    [InlineData(480, false)]
    public void Vgg16_exports_at_the_input_sizes_whose_map_torchvisions_windows_average_exactly(int side, bool exports) =>
        TorchTrainer.TorchvisionRefusal("vgg16", side).Should().Match(why => (why == null) == exports);

    private PackedDataset Data => _data ??= PackedDataset.Open(
        TinyData.Create(Path.Combine(_dir, "data"), trainPerClass: (Images + 2) / 3, valPerClass: 1, size: 32, seed: 3, noise: true));

    private PackedDataset? _data;

    /// <summary>A trainer of <paramref name="arch"/> whose BatchNorm statistics come from the images <see cref="Input"/> gives.</summary>
    private TorchTrainer Calibrated(string arch, int side)
    {
        var trainer = TorchTrainer.Create(TinyData.Options(arch, side));
        trainer.CalibrateBatchNorm(Data, Enumerable.Range(0, Images).ToArray(), Images / 2, null, CancellationToken.None);
        return trainer;
    }

    /// <summary>The 64 noise images as the trainer's input pipeline hands them to the net (evaluation).</summary>
    private float[] Input(TorchTrainer trainer) => trainer.PrepareBatch(Data, Enumerable.Range(0, Images).ToArray(), augment: false);

    /// <param name="uniformInputs">Inputs uniform in [-2, 2] rather than the noise images themselves: the random
    /// inception_v3, whose statistics come from those images, rounds its logits to 1.0e-4 (75 px) and 1.4e-4 (96 px)
    /// relative in both ONNX Runtime and the engine on them, and to 4e-6 on these.</param>
    private void RoundTrip(TorchTrainer trainer, string name, bool uniformInputs = false)
    {
        var side = trainer.Options.InputSize;
        var (graph, tensors) = trainer.ExportGraph();
        var path = Path.Combine(_dir, name + ".onnx");
        OnnxExport.Save(OnnxExport.Build(graph, tensors, trainer.Options.NumClasses, new Dictionary<string, string>()), path);
        var input = uniformInputs ? Uniform(side) : Input(trainer);
        var engine = trainer.Logits(input, Images, side, side);

        // The graph as exported: ORT's optimizer would fold BatchNorm into the convolutions, which rounds differently.
        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(path, options);
        var tensor = new DenseTensor<float>(input, [Images, 3, side, side]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, tensor)]);
        Agree($"{name} (ONNX Runtime, {side}x{side})", engine, results.First().AsEnumerable<float>().ToArray());
    }

    /// <summary>The inputs as raw float32, for python's <c>torch.from_file(f"{dir}/{name}.f32", ...)</c>.</summary>
    private void SaveInput(string name, float[] input) =>
        File.WriteAllBytes(Path.Combine(_dir, name + ".f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan()).ToArray());

    private static float[] Uniform(int side)
    {
        var random = new Random(9);
        var input = new float[Images * 3 * side * side];
        for (var i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 4 - 2);
        return input;
    }

    /// <summary>Relative difference at most <see cref="Tolerance"/> and the same top-1 for every image.</summary>
    private void Agree(string what, float[] engine, float[] reference)
    {
        reference.Should().HaveCount(engine.Length, what);
        var classes = engine.Length / Images;
        var largest = reference.Max(Math.Abs);
        var difference = engine.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        static int Top1(float[] logits, int image, int classes) =>
            Enumerable.Range(0, classes).MaxBy(c => logits[image * classes + c]);
        var same = Enumerable.Range(0, Images).Count(i => Top1(engine, i, classes) == Top1(reference, i, classes));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {Images} images, {classes} classes, max |difference| {difference:E3}, largest |logit| {largest:E3}, relative {difference / largest:E3}, same top-1 {same}/{Images}"));
        ((double)difference / largest).Should().BeLessThanOrEqualTo(Tolerance, what);
        same.Should().Be(Images, what);
    }
}
