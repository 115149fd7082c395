using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Training;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>`model export` as a user types it, on a real trial of a tiny lightweight-cnn sweep (<see cref="ExportedSweep"/>):
/// the ONNX file computes what the engine computes from the trial's best weights and carries the classes and the
/// normalization; bad input is one line on stderr, exit 2, and nothing written.</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelExportCommandTests(ExportedSweep sweep) : IClassFixture<ExportedSweep>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_trial_exports_to_onnx_with_its_classes_normalization_and_the_engines_logits()
    {
        Directory.CreateDirectory(Path.Combine(sweep.Directory, "out"));
        var result = await Cli.RunAsync(sweep.Directory, Timeout, "model", "export", sweep.TrialId, "--onnx", "out/model.onnx");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain($"exported trial {sweep.TrialId} (lightweight-cnn, 7 classes").And.Contain("out/model.onnx");
        using var session = new InferenceSession(Path.Combine(sweep.Directory, "out", "model.onnx"));
        var metadata = session.ModelMetadata.CustomMetadataMap;
        JsonSerializer.Deserialize<string[]>(metadata["class_names"]).Should().Equal(CxrClasses.Names);
        metadata.Should().Contain("mean", "0.485,0.456,0.406").And.Contain("std", "0.229,0.224,0.225")
            .And.Contain("input_size", "32").And.Contain("normalization", "backbone").And.Contain("trial_id", sweep.TrialId);
        Directory.GetFiles(Path.Combine(sweep.Directory, "out")).Should().ContainSingle("no temporary file is left");

        // The engine's eval forward of the same best weights, on the same 64 inputs.
        var random = new Random(4);
        var input = new float[64 * 3 * 32 * 32];
        for (var i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 4 - 2);
        using var trainer = TorchTrainer.Create(new TrainerOptions("lightweight-cnn", 7, 32, Optimizer.Adam, 1e-3, 1, Threads: 2));
        trainer.LoadBest(sweep.BestFile, sweep.BestSha256);
        var engine = trainer.Logits(input, 64, 32, 32);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(input, [64, 3, 32, 32]))]);
        var onnx = results.First().AsEnumerable<float>().ToArray();
        var relative = engine.Zip(onnx, (a, b) => Math.Abs(a - b)).Max() / onnx.Max(Math.Abs);
        ((double)relative).Should().BeLessThanOrEqualTo(1e-4);
        Enumerable.Range(0, 64).Should().OnlyContain(i => Top1(engine, i) == Top1(onnx, i));
    }

    /// <summary>The user's check: <c>torchvision.models.mobilenet_v2(num_classes=7).load_state_dict(torch.load(FILE))</c>
    /// works, and the model in eval mode computes the engine's logits from the trial's best weights.</summary>
    [TorchvisionFact]
    public async Task A_state_dict_export_loads_into_torchvision_and_computes_the_engines_logits()
    {
        var (trialId, bestFile, bestSha256) = sweep.TorchvisionTrial;
        var dir = Path.Combine(sweep.Directory, "tv");
        Directory.CreateDirectory(dir);
        var result = await Cli.RunAsync(sweep.Directory, Timeout, "model", "export", trialId, "--state-dict", "tv/model.pt");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain($"exported trial {trialId} (mobilenet_v2, 7 classes").And.Contain("tv/model.pt");
        Directory.GetFiles(dir).Should().ContainSingle("no temporary file is left");

        const int images = 16;
        var random = new Random(5);
        var input = new float[images * 3 * 32 * 32];
        for (var i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 4 - 2);
        await File.WriteAllBytesAsync(Path.Combine(dir, "input.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan()).ToArray());
        using var trainer = TorchTrainer.Create(new TrainerOptions("mobilenet_v2", 7, 32, Optimizer.Adam, 1e-3, 1, Threads: 2));
        trainer.LoadBest(bestFile, bestSha256);
        var engine = trainer.Logits(input, images, 32, 32);
        var script = Path.Combine(dir, "load.py");
        await File.WriteAllTextAsync(script, $$"""
            import json, sys, torch, torchvision
            d = sys.argv[1]
            model = torchvision.models.mobilenet_v2(num_classes=7)
            model.load_state_dict(torch.load(f"{d}/model.pt"))
            x = torch.from_file(f"{d}/input.f32", size={{images}} * 3 * 32 * 32, dtype=torch.float32).view({{images}}, 3, 32, 32)
            with torch.no_grad():
                print(json.dumps(model.eval()(x).flatten().tolist()))
            """);
        var (code, output) = ReferencePython.Run($"\"{script}\" \"{dir}\"", TimeSpan.FromMinutes(2));
        code.Should().Be(0, output);
        var torchvision = JsonSerializer.Deserialize<float[]>(output.Trim().Split('\n')[^1])!;
        torchvision.Should().HaveCount(engine.Length);
        var relative = engine.Zip(torchvision, (a, b) => Math.Abs(a - b)).Max() / torchvision.Max(Math.Abs);
        ((double)relative).Should().BeLessThanOrEqualTo(1e-4);
        Enumerable.Range(0, images).Should().OnlyContain(i => Top1(engine, i) == Top1(torchvision, i));
    }

    [Fact]
    public async Task An_unknown_trial_is_one_line_exit_2_and_nothing_written()
    {
        var result = await Cli.RunAsync(sweep.Directory, Timeout, "model", "export", "t-0000000000000000", "--onnx", "unknown.onnx");
        AssertRefusedAndNothingWritten(result, "no trial 't-0000000000000000' in this store", "unknown.onnx");
    }

    [Fact]
    public async Task A_trial_without_a_best_checkpoint_is_one_line_exit_2_and_nothing_written()
    {
        var result = await Cli.RunAsync(sweep.Directory, Timeout, "model", "export", sweep.UnimprovedTrialId, "--onnx", "none.onnx");
        AssertRefusedAndNothingWritten(result, $"trial {sweep.UnimprovedTrialId} has no best checkpoint", "none.onnx");
    }

    [Theory]
    [InlineData("no-such-dir/model.onnx", "no directory")]
    [InlineData("out-dir", "is a directory")]
    public async Task An_unwritable_output_is_one_line_exit_2_and_nothing_written(string target, string mentions)
    {
        Directory.CreateDirectory(Path.Combine(sweep.Directory, "out-dir"));
        var result = await Cli.RunAsync(sweep.Directory, Timeout, "model", "export", sweep.TrialId, "--onnx", target);
        AssertRefusedAndNothingWritten(result, mentions, target);
        Directory.Exists(Path.Combine(sweep.Directory, "no-such-dir")).Should().BeFalse();
        Directory.GetFileSystemEntries(Path.Combine(sweep.Directory, "out-dir")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_state_dict_of_an_architecture_torchvision_lacks_is_refused_saying_why()
    {
        var result = await Cli.RunAsync(sweep.Directory, Timeout, "model", "export", sweep.TrialId, "--onnx", "both.onnx", "--state-dict", "both.pt");
        AssertRefusedAndNothingWritten(result, "no PyTorch counterpart of lightweight-cnn", "both.onnx");
        File.Exists(Path.Combine(sweep.Directory, "both.pt")).Should().BeFalse();
    }

    private void AssertRefusedAndNothingWritten(CliResult result, string mentions, string file)
    {
        ModelCommandTests.AssertRefused(result, mentions);
        result.Stderr.Should().NotContain(" at ", "no stack trace reaches the terminal");
        File.Exists(Path.Combine(sweep.Directory, file)).Should().BeFalse();
    }

    private static int Top1(float[] logits, int image) => Enumerable.Range(0, 7).MaxBy(c => logits[image * 7 + c]);
}

/// <summary>A two-epoch lightweight-cnn sweep at 32 px run with the real engine (its trial has best weights), a
/// one-epoch mobilenet_v2 trial, and a trial whose only epoch never improved (the test engine reports an infinite
/// validation loss).</summary>
public sealed class ExportedSweep : IAsyncLifetime
{
    public string Directory { get; } = Cli.TempDir();
    public string TrialId { get; private set; } = "";
    public string BestFile { get; private set; } = "";
    public string BestSha256 { get; private set; } = "";
    public string UnimprovedTrialId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(Directory, "spec.yaml"), """
            name: export-sweep
            data: { path: data, synthesize: { images: 140, size: 32, seed: 2 } }
            backbones: [lightweight-cnn]
            strategies: [dynamic]
            inputSize: 32
            batchSize: 16
            hyperparameters: { patience: [1], step: [1], decay: [0.1], epochs: [2] }
            """);
        (TrialId, BestFile, BestSha256) = await RunAndFindBestAsync("spec.yaml", "export-sweep");
        await File.WriteAllTextAsync(Path.Combine(Directory, "torchvision.yaml"), """
            name: torchvision-sweep
            data: { path: data }
            backbones: [mobilenet_v2]
            strategies: [fixed-top-n]
            inputSize: 32
            batchSize: 16
            hyperparameters: { epochs: [1], fixedTopN: [2] }
            """);
        TorchvisionTrial = await RunAndFindBestAsync("torchvision.yaml", "torchvision-sweep");

        await File.WriteAllTextAsync(Path.Combine(Directory, "unimproved.yaml"), """
            name: unimproved
            data: { path: data }
            backbones: [lightweight-cnn]
            strategies: [dynamic]
            inputSize: 32
            hyperparameters: { patience: [1], step: [1], decay: [0.1], epochs: [1] }
            """);
        var unimproved = await Cli.RunAsync(Directory, TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["ORCHESTRATOR_ENGINE_PLUGIN"] = Path.Combine(AppContext.BaseDirectory, "Orchestrator.TestEngine.dll"),
            ["ORCHESTRATOR_TEST_ENGINE"] = "sleep:0:Infinity",
        }, "sweep", "run", "unimproved.yaml");
        unimproved.ExitCode.Should().BeOneOf([0, 1], unimproved.Stderr + unimproved.Stdout);
        UnimprovedTrialId = await OnlyTrialAsync("unimproved");
    }

    /// <summary>A one-epoch mobilenet_v2 trial: an architecture torchvision has, for `--state-dict`.</summary>
    public (string Id, string BestFile, string BestSha256) TorchvisionTrial { get; private set; }

    private async Task<(string Id, string BestFile, string BestSha256)> RunAndFindBestAsync(string spec, string sweep)
    {
        var run = await Cli.RunAsync(Directory, TimeSpan.FromMinutes(5), "sweep", "run", spec);
        run.ExitCode.Should().Be(0, run.Stderr + run.Stdout);
        var trialId = await OnlyTrialAsync(sweep);
        var events = await Cli.RunAsync(Directory, TimeSpan.FromMinutes(1), "trial", "events", trialId, "--json");
        using var journal = JsonDocument.Parse(events.Stdout);
        var best = journal.RootElement.EnumerateArray().Last(e => e.GetProperty("type").GetString() == "BestImproved");
        return (trialId, Path.Combine(Directory, ".orchestrator", "artifacts", trialId, best.GetProperty("checkpoint").GetString()!),
            best.GetProperty("sha256").GetString()!);
    }

    private async Task<string> OnlyTrialAsync(string sweep)
    {
        var status = await Cli.RunAsync(Directory, TimeSpan.FromMinutes(1), "sweep", "status", sweep, "--json");
        using var doc = JsonDocument.Parse(status.Stdout);
        return doc.RootElement.GetProperty("trials").EnumerateArray().Single().GetProperty("id").GetString()!;
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}
