using System.Text.Json;
using Orchestrator.Testing;
using Xunit.Abstractions;

namespace Orchestrator.Cli.Tests;

/// <summary>`model import` and `model forward` against PyTorch: random-weight state dicts saved by Debian's python3,
/// imported and run through the built CLI, features and ImageNet logits compared with the model's own.
/// One collection with the bad-input tests: each runs libtorch on both cores.</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [TorchvisionTheory]
    [InlineData("resnet50", false, 64, 0)]
    [InlineData("mobilenet_v2", false, 64, 0)]
    [InlineData("densenet121", true, 64, 0)]
    [InlineData("xception", false, 64, 0)]
    [InlineData("inception_v3", false, 80, 14)]  // AuxLogits dropped; transform_input
    public async Task An_imported_state_dict_gives_pytorchs_features_and_imagenet_logits(string arch, bool oldStyleKeys,
        int size, int dropped)
    {
        var dir = Cli.TempDir();
        var entries = ReferenceStateDicts.Write(dir, arch, size, oldStyleKeys);

        var import = await Cli.RunAsync(dir, Timeout, "model", "import", "--arch", arch, "--state-dict", "state_dict.pt", "--out", "weights.otw");
        import.ExitCode.Should().Be(0, import.Stderr);
        import.Stdout.Should().Contain($"imported {arch} from state_dict.pt: {entries - 2 - dropped} backbone tensors")
            .And.Contain("ImageNet classifier kept apart (2 tensors, 1000 classes)");
        if (dropped > 0) import.Stdout.Should().Contain($"{dropped} auxiliary tensors dropped");
        File.Exists(Path.Combine(dir, "weights.otw.tmp")).Should().BeFalse();

        var forward = await Cli.RunAsync(dir, Timeout, "model", "forward", "--arch", arch, "--weights", "weights.otw",
            "--input", "input.pt", "--output", "ours.pt");
        forward.ExitCode.Should().Be(0, forward.Stderr);

        var (keys, values) = ReferenceStateDicts.Compare(Path.Combine(dir, "ours.pt"), Path.Combine(dir, "expected.pt"));
        output.WriteLine($"{arch}: {string.Join("; ", values.Select(v => $"{v.Key} {v.Value.Shape} worst relative difference {v.Value.Worst:E2}"))}");
        keys.Should().Be("features,logits");
        values["logits"].Shape.Should().Be("2x1000");
        values["features"].Shape.Should().StartWith("2x");
        values["features"].Worst.Should().BeLessThan(1e-4);
        values["logits"].Worst.Should().BeLessThan(1e-4);
    }

    [Fact]
    public async Task An_unknown_architecture_is_one_error_line_and_exit_2()
    {
        var dir = Cli.TempDir();
        var result = await Cli.RunAsync(dir, Timeout, "model", "import", "--arch", "resnet9", "--state-dict", "sd.pt", "--out", "w.otw");
        AssertRefused(result, "unknown architecture 'resnet9' (supported: densenet121");
        File.Exists(Path.Combine(dir, "w.otw")).Should().BeFalse();
    }

    [Fact]
    public async Task Bench_engine_reports_positive_throughput_and_peak_memory_as_json()
    {
        var result = await Cli.RunAsync(Cli.TempDir(), Timeout, "bench", "engine", "--arch", "lightweight-cnn", "--size", "32",
            "--batch", "4", "--steps", "2", "--threads", "1", "--json");
        result.ExitCode.Should().Be(0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        root.GetProperty("architecture").GetString().Should().Be("lightweight-cnn");
        root.GetProperty("size").GetInt32().Should().Be(32);
        root.GetProperty("batch").GetInt32().Should().Be(4);
        root.GetProperty("threads").GetInt32().Should().Be(1);
        foreach (var field in new[] { "trainAllImagesPerSecond", "trainHeadImagesPerSecond", "inferenceImagesPerSecond", "peakRssMiB" })
            root.GetProperty(field).GetDouble().Should().BePositive(field);
        root.GetProperty("peakRssSource").GetString().Should().Contain("VmHWM");
    }

    [Fact]
    public async Task Bench_engine_refuses_an_unknown_architecture_and_a_too_small_size()
    {
        AssertRefused(await Cli.RunAsync(Cli.TempDir(), Timeout, "bench", "engine", "--arch", "resnet9", "--size", "32"),
            "unknown architecture 'resnet9'");
        AssertRefused(await Cli.RunAsync(Cli.TempDir(), Timeout, "bench", "engine", "--arch", "inception_v3", "--size", "64"),
            "--size: inception_v3 needs at least 75, got 64");
    }

    internal static void AssertRefused(CliResult result, string mentions)
    {
        result.ExitCode.Should().Be(2, result.Stderr);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle().Which.Should().StartWith("error: ").And.Contain(mentions);
    }
}

/// <summary>One mobilenet_v2 state dict (and its import) shared by the bad-input tests.</summary>
public sealed class MobileNetStateDict : IDisposable
{
    public MobileNetStateDict()
    {
        if (ReferencePython.WhyUnavailable is not null) return;
        ReferenceStateDicts.Write(Directory, "mobilenet_v2", 32);
        var import = Cli.RunAsync(Directory, TimeSpan.FromMinutes(4), "model", "import", "--arch", "mobilenet_v2",
            "--state-dict", "state_dict.pt", "--out", "mobilenet_v2.otw").GetAwaiter().GetResult();
        if (import.ExitCode != 0) throw new InvalidOperationException(import.Stderr);
    }

    public string Directory { get; } = Cli.TempDir();
    public string File(string name) => Path.Combine(Directory, name);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Refused inputs: one error line, exit 2, nothing written.</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelBadInputTests(MobileNetStateDict sd) : IClassFixture<MobileNetStateDict>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [TorchvisionFact]
    public async Task A_state_dict_of_another_architecture_lists_missing_and_unexpected_keys()
    {
        var result = await Cli.RunAsync(sd.Directory, Timeout, "model", "import", "--arch", "resnet50",
            "--state-dict", "state_dict.pt", "--out", "resnet50.otw");
        ModelCommandTests.AssertRefused(result, "does not match resnet50: ");
        result.Stderr.Should().MatchRegex(@"\d+ missing \(conv1\.weight, .*, \.\.\.\), \d+ unexpected \(features\.0\.0\.weight, .*, \.\.\.\)")
            .And.Contain("nothing was written");
        File.Exists(sd.File("resnet50.otw")).Should().BeFalse();
    }

    [TorchvisionFact]
    public async Task A_truncated_state_dict_is_refused()
    {
        var bytes = await File.ReadAllBytesAsync(sd.File("state_dict.pt"));
        await File.WriteAllBytesAsync(sd.File("truncated.pt"), bytes[..(bytes.Length / 2)]);
        var result = await Cli.RunAsync(sd.Directory, Timeout, "model", "import", "--arch", "mobilenet_v2",
            "--state-dict", "truncated.pt", "--out", "truncated.otw");
        ModelCommandTests.AssertRefused(result, "'" + sd.File("truncated.pt") + "' is not a readable torch.save file");
        File.Exists(sd.File("truncated.otw")).Should().BeFalse();
    }

    [TorchvisionTheory]
    [InlineData("one-channel.pt", new[] { 1, 1, 64, 64 }, "the input must be N x 3 x H x W, got [1, 1, 64, 64]")]
    [InlineData("too-small.pt", new[] { 1, 3, 8, 8 }, "mobilenet_v2 needs inputs of at least 16x16, got 8x8")]
    public async Task An_input_of_the_wrong_shape_is_refused(string name, int[] shape, string mentions)
    {
        ReferenceStateDicts.WriteInput(sd.File(name), shape);
        var result = await Cli.RunAsync(sd.Directory, Timeout, "model", "forward", "--arch", "mobilenet_v2",
            "--weights", "mobilenet_v2.otw", "--input", name, "--output", name + ".out");
        ModelCommandTests.AssertRefused(result, mentions);
        File.Exists(sd.File(name + ".out")).Should().BeFalse();
    }

    [TorchvisionFact]
    public async Task Weights_of_another_architecture_are_refused_by_forward()
    {
        var result = await Cli.RunAsync(sd.Directory, Timeout, "model", "forward", "--arch", "resnet50",
            "--weights", "mobilenet_v2.otw", "--input", "input.pt", "--output", "resnet.out");
        ModelCommandTests.AssertRefused(result, "holds mobilenet_v2 weights, not resnet50 weights");
        File.Exists(sd.File("resnet.out")).Should().BeFalse();
    }
}

[CollectionDefinition(Name)]
public sealed class TorchCollection
{
    public const string Name = "libtorch on every core";
}
