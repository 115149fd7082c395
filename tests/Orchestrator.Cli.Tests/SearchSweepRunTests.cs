using System.Text.Json;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Cli.Tests;

/// <summary>A search sweep through the CLI as a user types it: its sampled trials run, and a second run finds the
/// same trials (the same ids) already ended.</summary>
public class SearchSweepRunTests
{
    private const string Spec = """
        name: search-e2e
        data: { path: data, synthesize: { images: 84, size: 16, seed: 1 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        batchSize: 16
        search: { kind: sobol, trials: 2, seed: 3 }
        hyperparameters:
          learningRate: { logUniform: [1e-4, 1e-2] }
          patience: { intUniform: [1, 2] }
          epochs: [1]
        """;

    [Fact]
    public async Task A_search_sweep_runs_its_sampled_trials_and_a_second_run_finds_the_same_ones_ended()
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), Spec);
        var planned = SweepGrid.Expand(SweepSpecParser.Parse(Spec));
        planned.Should().HaveCount(2);

        var run = await Cli.RunAsync(dir, TimeSpan.FromMinutes(10), "sweep", "run", "spec.yaml", "--workers", "2");
        run.ExitCode.Should().Be(0, run.Stderr + run.Stdout);
        run.Stdout.Should().Contain("2 of 2 trial(s) completed");

        var status = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "sweep", "status", "search-e2e", "--json");
        status.ExitCode.Should().Be(0, status.Stderr);
        using var doc = JsonDocument.Parse(status.Stdout);
        doc.RootElement.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("id").GetString())
            .Should().BeEquivalentTo(planned.Select(t => t.Id.Value));

        var again = await Cli.RunAsync(dir, TimeSpan.FromMinutes(2), "sweep", "run", "spec.yaml");
        again.ExitCode.Should().Be(0, again.Stderr);
        again.Stdout.Should().Contain("2 trial(s), 0 new, 2 already ended");
    }
}
