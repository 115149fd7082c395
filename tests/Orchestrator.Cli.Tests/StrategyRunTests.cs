using System.Text.Json;

namespace Orchestrator.Cli.Tests;

/// <summary>Each built-in strategy, and a user schedule, trained for real (the lightweight CNN, L = 4, on a small
/// synthetic set): every journal follows its strategy's definition epoch by epoch and `trial audit` finds nothing.</summary>
public class StrategyRunTests
{
    private const string Spec = """
        name: strategies-e2e
        data: { path: data, synthesize: { images: 140, size: 32, seed: 2 } }
        backbones: [lightweight-cnn]
        strategies: [full, linear-probe, two-stage, fixed-step, gradual, chain-thaw, middle-alone]
        inputSize: 32
        batchSize: 16
        schedules:
          middle-alone:
            batchNorm: updated
            phases:
              - { trains: [1, 2], until: epochs 2, discriminative: 2 }
              - { trains: all, until: plateau, rate: 0.5, restoreBest: true }
        hyperparameters: { learningRate: [0.003], patience: [1], step: [2], epochs: [7], unfreezeEvery: [1] }
        """;

    private const double Rate = 0.003;

    [Fact]
    public async Task Every_strategy_journals_its_definition_and_passes_the_audit()
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), Spec);

        var run = await Cli.RunAsync(dir, TimeSpan.FromMinutes(15), "sweep", "run", "spec.yaml", "--workers", "2");
        run.ExitCode.Should().Be(0, run.Stderr + run.Stdout);
        run.Stdout.Should().Contain("7 of 7 trial(s) completed");

        var status = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "sweep", "status", "strategies-e2e", "--json");
        using var doc = JsonDocument.Parse(status.Stdout);
        var trials = doc.RootElement.GetProperty("trials").EnumerateArray()
            .Select(t => (Id: t.GetProperty("id").GetString()!, Strategy: t.GetProperty("strategy").GetString()!)).ToList();
        trials.Select(t => t.Strategy).Should().BeEquivalentTo(["full", "linear-probe", "two-stage", "fixed-step", "gradual", "chain-thaw", "custom"]);

        foreach (var (id, strategy) in trials)
        {
            var events = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "trial", "events", id, "--json");
            events.ExitCode.Should().Be(0, events.Stderr);
            using var journal = JsonDocument.Parse(events.Stdout);
            CheckDefinition(strategy, journal.RootElement.EnumerateArray().ToList());

            var audit = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "trial", "audit", id);
            audit.ExitCode.Should().Be(0, audit.Stdout);
            audit.Stdout.Should().Contain($"no violation of the {strategy} schedule");
        }
        var report = Directory.GetFiles(Path.Combine(dir, ".orchestrator", "artifacts", "reports"), "report.md", SearchOption.AllDirectories).Single();
        (await File.ReadAllTextAsync(report)).Should().Contain("## The 7 strategies compared").And.Contain("phases (groups, epochs)");
    }

    /// <summary>What each strategy's definition (docs/strategies.md) says its journal must show: the groups of every epoch, which
    /// phase changes restore the best weights, and the rates.</summary>
    private static void CheckDefinition(string strategy, List<JsonElement> events)
    {
        string Type(JsonElement e) => e.GetProperty("type").GetString()!;
        static string Groups(JsonElement e) => string.Join(",", e.GetProperty("trainableGroups").EnumerateArray().Select(g => g.GetInt32()));
        var epochs = events.Where(e => Type(e) == "EpochCompleted").ToList();
        var changes = events.Where(e => Type(e) == "GroupsUnfrozen").ToList();
        var restores = events.Where(e => Type(e) == "BestWeightsRestored").Select(e => e.GetProperty("epoch").GetInt32()).ToList();
        epochs.Should().NotBeEmpty().And.HaveCountLessThanOrEqualTo(7, strategy);
        epochs.Where(e => !e.TryGetProperty("trainableGroups", out var _)).Should().BeEmpty($"{strategy} names its groups every epoch");
        var groups = epochs.Select(Groups).ToList();
        // The phase each epoch trains in: the count of phase changes journaled before it.
        var phaseOf = epochs.Select(e => changes.Count(c => c.GetProperty("epoch").GetInt32() < e.GetProperty("epoch").GetInt32())).ToList();
        var rates = epochs.Select(e => e.GetProperty("learningRate").GetDouble()).ToList();
        var changeEpochs = changes.Select(c => c.GetProperty("epoch").GetInt32()).ToList();

        switch (strategy)
        {
            case "full":
                groups.Should().OnlyContain(g => g == "0,1,2,3");
                changes.Should().BeEmpty();
                break;
            case "linear-probe":
                groups.Should().OnlyContain(g => g == "");
                changes.Should().BeEmpty();
                break;
            case "two-stage":
                groups.Should().Equal(phaseOf.Select(p => p == 0 ? "" : "0,1,2,3"));
                restores.Should().Equal(changeEpochs);
                rates.Should().Equal(phaseOf.Select(p => p == 0 ? Rate : Rate * 0.1));
                break;
            case "fixed-step":
                // k = 2 more groups every epoch: {}, {2,3}, {0,1,2,3}, ...
                groups.Should().Equal(Enumerable.Range(0, epochs.Count).Select(e => e switch { 0 => "", 1 => "2,3", _ => "0,1,2,3" }));
                restores.Should().BeEmpty();
                rates.Should().OnlyContain(r => r == Rate);
                break;
            case "gradual":
                groups.Should().Equal(Enumerable.Range(1, epochs.Count).Select(e => string.Join(",", Enumerable.Range(4 - Math.Min(e - 1, 4), Math.Min(e - 1, 4)))));
                restores.Should().BeEmpty();
                rates.Should().OnlyContain(r => r == Rate);
                break;
            case "chain-thaw":
                groups.Should().Equal(phaseOf.Select(p => p switch { 0 => "", 5 => "0,1,2,3", _ => (p - 1).ToString() }));
                restores.Should().Equal(changeEpochs);
                break;
            case "custom":
                groups.Should().Equal(phaseOf.Select(p => p == 0 ? "1,2" : "0,1,2,3"));
                phaseOf.Take(2).Should().Equal(0, 0);
                restores.Should().Equal(changeEpochs);
                rates.Should().Equal(phaseOf.Select(p => p == 0 ? Rate : Rate * 0.5));
                break;
            default:
                throw new ArgumentException($"no definition for {strategy}");
        }
    }
}
