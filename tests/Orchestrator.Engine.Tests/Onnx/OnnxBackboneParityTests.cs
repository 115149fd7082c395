using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Models.Onnx;
using Orchestrator.Engine.Training;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests.Onnx;

/// <summary>
/// The engine's eval forward of an imported ONNX backbone against ONNX Runtime, an implementation this project did not
/// write, on the same 64 inputs: the pooled features agree to a relative difference of at most 1e-4 (the largest absolute
/// difference over the largest absolute feature), and every image has the same top-1 (its largest feature).
/// </summary>
public sealed class OnnxBackboneParityTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private const int Images = 64;
    private readonly string _dir = Directory.CreateTempSubdirectory("onnx-parity-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Resnet18_imagenet_features_match_onnx_runtime()
    {
        // Pixels as ResNetPreprocess.onnx hands them over: BGR in [0, 255] minus the mean image, about +-128.
        var relative = Compare(OnnxExports.ResNet18ImageNet, "parity-resnet18-imagenet", side: 224, scale: 60f);
        relative.Should().BeLessThanOrEqualTo(Tolerance);
    }

    [TorchvisionFact]
    public void Torchvision_exports_match_onnx_runtime()
    {
        string[] architectures = ["resnet18", "mobilenet_v2", "densenet121"];
        OnnxExports.Torchvision(_dir, 64, architectures);
        foreach (var arch in architectures)
            Compare(Path.Combine(_dir, arch + ".onnx"), "parity-" + arch.Replace('_', '-'), side: 64, scale: 1f)
                .Should().BeLessThanOrEqualTo(Tolerance, arch);
    }

    [Fact]
    public void Resnet18_imagenet_is_cut_into_five_groups_at_its_stride_2_stages()
    {
        var graph = GraphCompiler.Compile(OnnxGraph.Load(OnnxExports.ResNet18ImageNet), new ImportOptions());
        graph.Groups.Should().Be(5);
        // Stem (conv + BN + ReLU), then the max pool with the first stage's two blocks, then one group per stage; a
        // group ends after the ReLU closing a residual block, where one tensor is live.
        graph.GroupEnds.Should().Equal("ReLU253", "ReLU283", "ReLU315", "ReLU347", "ReLU393");
        graph.FeatureDim.Should().Be(512);
        graph.InputSize.Should().Be(224);
        // The final 7x7 AveragePool is the classifier side: the engine's head pools the 7x7 map itself.
        graph.Stages[^1].Nodes[^1].SourceName.Should().Be("ReLU393");
    }

    /// <summary>Imports the file, runs the engine and ONNX Runtime on the same random inputs; returns the relative
    /// difference of the pooled features, once every image's top-1 is checked to agree.</summary>
    private double Compare(string onnx, string name, int side, float scale)
    {
        var library = new ModelLibrary(Path.Combine(_dir, "models"));
        library.Import(onnx, name, new ImportOptions(), DateTimeOffset.UtcNow);
        var random = new Random(11);
        var plane = 3 * side * side;
        var input = new float[Images * plane];
        for (var i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 2 - 1) * scale;

        using var trainer = TorchTrainer.Create(new TrainerOptions(name, 2, side, Optimizer.Adam, 1e-3, 1, Threads: 2));
        var engine = trainer.Features(input, Images, side, side);

        using var session = new InferenceSession(onnx);
        var reference = new List<float>();
        for (var n = 0; n < Images; n++)
        {
            var tensor = new DenseTensor<float>(input.AsMemory(n * plane, plane), [1, 3, side, side]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), tensor)]);
            reference.AddRange(results.First().AsEnumerable<float>());
        }
        reference.Should().HaveCount(engine.Length, name);
        var largest = reference.Max(Math.Abs);
        var difference = engine.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        var relative = difference / largest;
        var features = engine.Length / Images;
        var top1 = Enumerable.Range(0, Images).Count(i =>
            Enumerable.Range(0, features).MaxBy(f => engine[i * features + f]) == Enumerable.Range(0, features).MaxBy(f => reference[i * features + f]));
        output.WriteLine($"{name}: {Images} images {side}x{side}, {features} features, max |engine - onnxruntime| = {difference:E3}, largest |feature| = {largest:E3}, relative {relative:E3}, same top-1 {top1}/{Images}");
        top1.Should().Be(Images, name);
        return relative;
    }
}
