using System.Text.Json;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.TestEngine;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// Issue 28 through the CLI as a user types it: a search with successive halving inside each (backbone, strategy) cell
/// and replicates, on the test engine's scripted curves (whose best configuration per cell is known). The sweep spends
/// far fewer epochs than its full grid, still finds each cell's best, prunes the rest, and runs each cell's choice
/// again with fresh seeds once that cell's search has ended.
/// </summary>
public class PruningSweepRunTests
{
    private const string Spec = """
        name: pruning-e2e
        data: { path: data, synthesize: { images: 84, size: 16, seed: 1 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic, fixed-top-n]
        inputSize: 16
        batchSize: 16
        search: { kind: sobol, trials: 9, seed: 7 }
        pruning: { kind: asha, reduction: 3, minEpochs: 1 }
        replicates: 2
        hyperparameters:
          learningRate: { logUniform: [1e-5, 1e-2] }
          patience: [3]
          epochs: [9]
        """;

    [Fact]
    public async Task A_pruned_search_spends_under_40_percent_of_the_grid_finds_each_best_and_replicates_it_after_its_cell_ended()
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), Spec);
        var spec = SweepSpecParser.Parse(Spec);
        var planned = SweepGrid.Expand(spec);
        planned.Should().HaveCount(18);
        var environment = new Dictionary<string, string>
        {
            ["ORCHESTRATOR_ENGINE_PLUGIN"] = Path.Combine(AppContext.BaseDirectory, "Orchestrator.TestEngine.dll"),
            ["ORCHESTRATOR_TEST_ENGINE"] = "curve:0.02",
        };

        var run = await Cli.RunAsync(dir, TimeSpan.FromMinutes(10), environment, "sweep", "run", "spec.yaml", "--workers", "2");
        run.ExitCode.Should().Be(0, run.Stderr + run.Stdout);
        // 9 configurations per cell, reduction 3: 6 pruned after 1 epoch, 2 after 3, 1 trains on; and 2 replicates each.
        run.Stdout.Should().Contain("6 of 22 trial(s) completed, 16 pruned");

        var status = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "sweep", "status", "pruning-e2e", "--json");
        status.ExitCode.Should().Be(0, status.Stderr);
        using var doc = JsonDocument.Parse(status.Stdout);
        var trials = doc.RootElement.GetProperty("trials").EnumerateArray().Select(t => new
        {
            Id = t.GetProperty("id").GetString()!,
            Status = t.GetProperty("status").GetString(),
            Epochs = t.GetProperty("epochsDone").GetInt32(),
            Spec = TrialSpecJson.Deserialize(t.GetProperty("spec").GetRawText()),
        }).ToList();

        var search = trials.Where(t => planned.Any(p => p.Id.Value == t.Id)).ToList();
        search.Should().HaveCount(18);
        var fullGrid = planned.Sum(p => p.Spec.MaxEpochs);
        search.Sum(t => t.Epochs).Should().Be(2 * (9 + 3 * 2 + 6)).And.BeLessThanOrEqualTo(fullGrid * 40 / 100);

        var replicates = trials.Except(search).ToList();
        replicates.Should().HaveCount(4);
        replicates.Select(t => t.Spec.Seed).Should().BeEquivalentTo(SweepPlan.ReplicateSeedsOf(spec).Concat(SweepPlan.ReplicateSeedsOf(spec)));
        foreach (var cell in planned.GroupBy(p => p.Spec.Strategy))
        {
            var best = ScriptedCurve.BestLearningRate(cell.Key);
            var known = cell.MinBy(p => Math.Abs(Math.Log10(p.Spec.LearningRate) - Math.Log10(best)))!;
            var finalist = search.Single(t => t.Spec.Strategy == cell.Key && t.Status == "completed");
            finalist.Id.Should().Be(known.Id.Value, $"the {cell.Key.ToSpecString()} cell's best configuration is found");
            finalist.Epochs.Should().Be(9);
            search.Where(t => t.Spec.Strategy == cell.Key && t.Id != finalist.Id).Should().OnlyContain(t => t.Status == "pruned" && t.Epochs < 9);
            // The replicates carry the chosen configuration, and start only after the cell's search has ended.
            var copies = replicates.Where(t => t.Spec.Strategy == cell.Key).ToList();
            copies.Should().HaveCount(2).And.OnlyContain(t => t.Status == "completed");
            copies.Select(t => t.Spec with { Seed = known.Spec.Seed }).Should().AllBeEquivalentTo(known.Spec, "a replicate is the chosen configuration with another seed");
            // The run's progress lines (each slot's, and notes), before the results table that lists the trials again.
            var lines = run.Stdout.Split('\n').TakeWhile(l => !l.Contains("has ended")).ToArray();
            var lastSearchLine = cell.Max(p => Array.FindLastIndex(lines, l => l.Contains(p.Id.Value)));
            var firstReplicateLine = copies.Min(c => Array.FindIndex(lines, l => l.Contains(c.Id)));
            firstReplicateLine.Should().BeGreaterThan(lastSearchLine, $"the {cell.Key.ToSpecString()} replicates start after its search ended");
        }

        // The results compare the replicates alone; the searches are the report's tuning history.
        var table = run.Stdout[run.Stdout.IndexOf("Results", StringComparison.Ordinal)..];
        table.Should().NotContainAny(search.Select(t => t.Id));
        var reportLine = run.Stdout.Split('\n').Single(l => l.StartsWith("report: ", StringComparison.Ordinal));
        var report = await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(reportLine["report: ".Length..].Trim())!, "report.md"));
        report.Should().Contain("## Tuning history").And.Contain("come from the replicates alone")
            .And.Contain("| lightweight-cnn/dynamic | 9 | 8 | 1 | 21 | 81 | 74.1 % |");
    }
}
