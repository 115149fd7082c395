using System.Text.Json;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>`model import --onnx` and `model pretrained` as a user types them: bad files and options are one line on
/// stderr and exit 2 with nothing written; an imported backbone trains in `sweep run` under both strategies.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxImportCommandTests(OnnxModels models) : IClassFixture<OnnxModels>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [TorchvisionTheory]
    [InlineData("not-onnx", null, "is not an ONNX model")]
    [InlineData("tanh", null, "node '/Tanh' (#8, Tanh): operator Tanh is not supported")]
    [InlineData("mlp", null, "the graph has no spatial output")]
    [InlineData("small", "/a/Conv", "cannot be cut after node '/a/Conv': 2 values are live there")]
    [InlineData("small", "/no/such/node", "no node named '/no/such/node'")]
    public async Task A_file_or_cut_the_import_refuses_is_one_line_exit_2_and_nothing_written(string file, string? groups, string mentions)
    {
        var dir = Cli.TempDir();
        var source = file switch
        {
            "tanh" => models.WithTanh,
            "mlp" => models.Mlp,
            "small" => models.Small,
            _ => Path.Combine(dir, "notes.onnx"),
        };
        if (file == "not-onnx") await File.WriteAllTextAsync(source, "these are notes, not a model\n");
        string[] args = ["model", "import", "--onnx", source, "--name", "mine", .. groups is null ? Array.Empty<string>() : ["--groups", groups]];

        var result = await Cli.RunAsync(dir, Timeout, args);

        result.ExitCode.Should().Be(2, result.Stdout);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
            .Which.Should().StartWith("error: ").And.Contain(mentions).And.EndWith("nothing was written");
        Directory.Exists(Path.Combine(dir, ".orchestrator")).Should().BeFalse("a refused import writes nothing");
    }

    [Fact]
    public async Task Model_pretrained_imports_resnet18_imagenet_once()
    {
        var dir = Cli.TempDir();

        var first = await Cli.RunAsync(dir, Timeout, "model", "pretrained");
        first.ExitCode.Should().Be(0, first.Stderr);
        first.Stdout.Should().Contain("imported resnet18-imagenet").And.Contain("5 layer groups").And.Contain("512 features")
            .And.Contain("input 224x224");
        var again = await Cli.RunAsync(dir, Timeout, "model", "pretrained");
        again.ExitCode.Should().Be(0, again.Stderr);
        again.Stdout.Should().Contain("resnet18-imagenet is already imported");

        var list = await Cli.RunAsync(dir, Timeout, "model", "architectures", "--json");
        list.ExitCode.Should().Be(0, list.Stderr);
        using var doc = JsonDocument.Parse(list.Stdout);
        var resnet = doc.RootElement.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "resnet18-imagenet");
        resnet.GetProperty("groups").GetInt32().Should().Be(5);
        // ResNetPreprocess.onnx: BGR pixels in [0, 255] minus a mean image (per-channel averages about 103, 116, 123).
        resnet.GetProperty("std").EnumerateArray().Should().OnlyContain(s => Math.Abs(s.GetDouble() - 1.0 / 255) < 1e-7);
        resnet.GetProperty("mean").EnumerateArray().Select(m => m.GetDouble() * 255).Should()
            .SatisfyRespectively(b => b.Should().BeApproximately(103.06, 0.01), g => g.Should().BeApproximately(115.90, 0.01),
                r => r.Should().BeApproximately(123.15, 0.01));
    }

    [TorchvisionFact]
    public async Task An_imported_backbone_trains_in_a_sweep_under_both_strategies_with_cache_and_checkpoints()
    {
        var dir = Cli.TempDir();
        var import = await Cli.RunAsync(dir, Timeout, "model", "import", "--onnx", models.Small, "--name", "small-onnx",
            "--groups", "/stem/stem.2/Relu,/Concat");
        import.ExitCode.Should().Be(0, import.Stderr);
        import.Stdout.Should().Contain("imported small-onnx").And.Contain("3 layer groups (ending at /stem/stem.2/Relu, /Concat, /Mul)");
        var again = await Cli.RunAsync(dir, Timeout, "model", "import", "--onnx", models.Small, "--name", "small-onnx");
        again.ExitCode.Should().Be(2);
        again.Stderr.Should().Contain("a backbone named 'small-onnx' is already imported");

        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), """
            name: onnx-sweep
            data: { path: data, synthesize: { images: 140, size: 32, seed: 2 } }
            backbones: [small-onnx]
            strategies: [dynamic, fixed-top-n]
            batchSize: 16
            hyperparameters: { patience: [1], step: [1], decay: [0.1], epochs: [5], fixedTopN: [1] }
            """);
        var run = await Cli.RunAsync(dir, TimeSpan.FromMinutes(6), "sweep", "run", "spec.yaml");
        run.ExitCode.Should().Be(0, run.Stderr + run.Stdout);
        run.Stdout.Should().Contain("2 of 2 trial(s) completed");

        var status = await Cli.RunAsync(dir, Timeout, "sweep", "status", "onnx-sweep", "--json");
        using var doc = JsonDocument.Parse(status.Stdout);
        var ids = doc.RootElement.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToList();
        ids.Should().HaveCount(2);
        long hits = 0;
        foreach (var id in ids)
        {
            var events = await Cli.RunAsync(dir, Timeout, "trial", "events", id, "--json");
            events.ExitCode.Should().Be(0, events.Stderr);
            using var journal = JsonDocument.Parse(events.Stdout);
            var items = journal.RootElement.EnumerateArray().ToList();
            items[^1].GetProperty("type").GetString().Should().Be("TrialCompleted");
            items.Should().NotContain(e => e.GetProperty("type").GetString() == "AttemptFailed",
                "every slot's engine knows the imported backbone before its first trainer");
            hits += items.Where(e => e.TryGetProperty("featureCacheHits", out _)).Sum(e => e.GetProperty("featureCacheHits").GetInt64());
            var best = items.Last(e => e.GetProperty("type").GetString() == "BestImproved").GetProperty("checkpoint").GetString()!;
            File.Exists(Path.Combine(dir, ".orchestrator", "artifacts", id, best)).Should().BeTrue("the best weights are a checkpoint file");

            var audit = await Cli.RunAsync(dir, Timeout, "trial", "audit", id);
            audit.ExitCode.Should().Be(0, audit.Stdout);
            audit.Stdout.Should().Contain("no violation of Algorithm 1");
        }
        hits.Should().BeGreaterThan(0, "the frozen prefix of the graph backbone is served from the feature cache");
    }

    [Fact]
    public async Task A_sweep_on_resnet18_imagenet_killed_mid_epoch_resumes_to_the_same_figures()
    {
        const string spec = """
            name: pretrained-crash
            data: { path: data, synthesize: { images: 84, size: 32, seed: 2 } }
            backbones: [resnet18-imagenet]
            strategies: [dynamic]
            inputSize: 32
            batchSize: 16
            hyperparameters: { patience: [1], step: [2], decay: [0.1], epochs: [4] }
            """;
        var dir = Cli.TempDir();
        (await Cli.RunAsync(dir, Timeout, "model", "pretrained")).ExitCode.Should().Be(0);
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), spec);
        var storeUrl = "sqlite:" + Path.Combine(dir, ".orchestrator", "orchestrator.db");

        await Journals.KillMidEpochThenResumeAsync(dir, storeUrl, 2, TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(5));

        var reference = Cli.TempDir();
        (await Cli.RunAsync(reference, Timeout, "model", "pretrained")).ExitCode.Should().Be(0);
        await File.WriteAllTextAsync(Path.Combine(reference, "spec.yaml"), spec);
        (await Cli.RunAsync(reference, TimeSpan.FromMinutes(5), "sweep", "run", "spec.yaml", "--workers", "1")).ExitCode.Should().Be(0);

        var status = await Cli.RunAsync(dir, Timeout, "sweep", "status", "pretrained-crash", "--json");
        using var doc = JsonDocument.Parse(status.Stdout);
        var id = doc.RootElement.GetProperty("trials").EnumerateArray().Single().GetProperty("id").GetString()!;
        var events = (await Journals.ReadAsync(storeUrl, id)).Select(e => e.Event).ToList();
        events.OfType<AttemptStarted>().Select(e => e.Attempt).Should().Equal(1, 2);
        TrialAudit.Violations(events).Should().BeEmpty();
        var referenceEvents = (await Journals.ReadAsync("sqlite:" + Path.Combine(reference, ".orchestrator", "orchestrator.db"), id))
            .Select(e => e.Event).ToList();
        SweepRunTests.Figures(events).Should().Equal(SweepRunTests.Figures(referenceEvents),
            "the resumed run picked up the graph backbone's weights, optimizer state and groups where the journal left them");
    }
}
