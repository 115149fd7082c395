namespace Orchestrator.Cli.Tests;

/// <summary>Invalid specs are refused with one clear line and a non-zero exit, before anything runs.</summary>
public class BadInputTests
{
    private const string Valid = """
        name: bad-input
        data: { path: data, synthesize: { images: 84, size: 16, seed: 1 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        hyperparameters: { patience: [2], step: [1], decay: [0.1], epochs: [2] }
        """;

    [Theory]
    [InlineData("backbones: [lightweight-cnn]", "backbones: [resnet9]", "resnet9")]
    [InlineData("patience: [2]", "patience: [0]", "patience")]
    [InlineData("step: [1]", "step: [0]", "step")]
    [InlineData("decay: [0.1]", "decay: [1.5]", "decay")]
    [InlineData("decay: [0.1]", "decay: [0]", "decay")]
    [InlineData("data: { path: data, synthesize: { images: 84, size: 16, seed: 1 } }", "data: { path: no-such-data }", "data")]
    [InlineData("strategies: [dynamic]", "strategies: [dynamic", "line")]
    [InlineData("backbones: [lightweight-cnn]", "backbones: [lightweight-cnn]\nweights: { lightweight-cnn: missing.ote }", "weights.lightweight-cnn")]
    [InlineData("backbones: [lightweight-cnn]", "backbones: [inception_v3]", "inception_v3 (must be >= 75)")]
    public async Task An_invalid_spec_gets_one_error_line_and_exit_2_and_nothing_runs(string valid, string broken, string mentions)
    {
        var dir = Cli.TempDir();
        Valid.Should().Contain(valid);
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), Valid.Replace(valid, broken));

        var result = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "sweep", "run", "spec.yaml");

        result.ExitCode.Should().Be(2);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle().Which.Should().StartWith("error: ").And.Contain(mentions);
        Directory.Exists(Path.Combine(dir, ".orchestrator")).Should().BeFalse("nothing may run or be stored for a bad spec");
        Directory.Exists(Path.Combine(dir, "data")).Should().BeFalse();
    }

    [Theory]
    [InlineData("trial", "show", " ")]
    [InlineData("trial", "events", "")]
    [InlineData("trial", "audit", "  ")]
    public async Task A_blank_trial_id_gets_one_error_line_and_exit_2(string noun, string verb, string id)
    {
        var result = await Cli.RunAsync(Cli.TempDir(), TimeSpan.FromMinutes(1), noun, verb, id);

        result.ExitCode.Should().Be(2);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
            .Which.Should().StartWith("error: a trial id must not be blank");
    }

    [Theory]
    [InlineData("--device", "tpu", "is not a device")]
    [InlineData("--device", "cuda:0", "'cuda:0'")]
    [InlineData("--feature-cache-mb", "-5", "--feature-cache-mb")]
    public async Task An_unusable_device_or_cache_size_gets_one_error_line_and_exit_2_before_anything_is_stored(string option, string value, string mentions)
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), Valid);
        // This machine's libtorch has no CUDA, so cuda:0 is one it lacks; on a GPU box the test asks for a device past the last.
        if (value == "cuda:0" && (await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "engine", "info")).Stdout.Contains("cuda:0 "))
            value = "cuda:64";

        var result = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "sweep", "run", "spec.yaml", option, value);

        result.ExitCode.Should().Be(2);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
            .Which.Should().StartWith("error: ").And.Contain(mentions);
        Directory.Exists(Path.Combine(dir, ".orchestrator")).Should().BeFalse("nothing may run or be stored");
    }

    [Fact]
    public async Task A_worker_given_gpus_this_engine_lacks_exits_2_in_one_line_before_joining()
    {
        var dir = Cli.TempDir();
        var info = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "engine", "info");
        info.ExitCode.Should().Be(0);
        info.Stdout.Should().MatchRegex(@"libtorch \d+\.\d+").And.Contain("CUDA devices: ");
        var result = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "worker", "--gpus", "0,63", "--store", "sqlite:w.db");
        result.ExitCode.Should().Be(2);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle().Which.Should().StartWith("error: device 'cuda:");
        result.Stdout.Should().NotContain("is up");
    }

    [Fact]
    public async Task A_missing_spec_file_is_one_clear_error()
    {
        var result = await Cli.RunAsync(Cli.TempDir(), TimeSpan.FromMinutes(1), "sweep", "run", "nope.yaml");
        result.ExitCode.Should().Be(2);
        result.Stderr.Trim().Should().StartWith("error: spec: file not found");
    }

    [Fact]
    public async Task An_unknown_trial_is_one_clear_error()
    {
        var result = await Cli.RunAsync(Cli.TempDir(), TimeSpan.FromMinutes(1), "trial", "events", "t-000000000000", "--json");
        result.ExitCode.Should().Be(2);
        result.Stderr.Trim().Should().StartWith("error: no store at ");
        Directory.Exists(Path.Combine(Cli.TempDir(), ".orchestrator")).Should().BeFalse();
    }

    [Theory]
    [InlineData("notadb", "not a SQLite database")]
    [InlineData("mysql://me@db/x", "unknown scheme")]
    [InlineData("postgres://me:secret@127.0.0.1:1/x", "a password in the URL is refused")]
    public async Task A_bad_store_is_one_error_line_and_exit_2_and_an_existing_file_is_left_untouched(string store, string mentions)
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), Valid);
        var notADatabase = Path.Combine(dir, "notadb.db");
        await File.WriteAllTextAsync(notADatabase, "these are my notes, not a database");
        var url = store == "notadb" ? "sqlite:" + notADatabase : store;

        foreach (var args in new[] { new[] { "sweep", "run", "spec.yaml", "--store", url }, ["sweep", "status", "--store", url] })
        {
            var result = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), args);

            result.ExitCode.Should().Be(2, result.Stdout + result.Stderr);
            result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
                .Which.Should().StartWith("error: ").And.Contain(mentions).And.NotContain("secret");
        }
        (await File.ReadAllTextAsync(notADatabase)).Should().Be("these are my notes, not a database");
        Directory.Exists(Path.Combine(dir, "data")).Should().BeFalse("nothing ran");
    }

    [Theory]
    [InlineData("/proc/orchestrator-synth")]
    [InlineData("under-a-file/synth")]
    public async Task An_output_folder_that_cannot_be_written_is_one_error_line_and_exit_2(string output)
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, "under-a-file"), "a file, not a folder");

        var result = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "data", "synth", "--out", output, "--images", "60", "--size", "16");

        result.ExitCode.Should().Be(2);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
            .Which.Should().StartWith("error: --out: cannot write into ").And.EndWith("nothing was written");
        Directory.EnumerateFileSystemEntries(dir).Should().ContainSingle("no temporary folder is left behind");
    }
}
