namespace Orchestrator.Cli.Tests;

/// <summary>Mistakes in strategies and user schedules: one line, exit 2, nothing stored, for `sweep run` and
/// `sweep launch` alike.</summary>
public class ScheduleBadInputTests
{
    private const string Valid = """
        name: bad-schedule
        data: { path: data, synthesize: { images: 84, size: 16, seed: 1 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic, probe]
        inputSize: 16
        schedules:
          probe:
            phases:
              - { trains: none, until: plateau }
              - { trains: group 3, until: plateau 2 }
        hyperparameters: { patience: [2], epochs: [2] }
        """;

    [Theory]
    [InlineData("strategies: [dynamic, probe]", "strategies: [dynamic, greedy]", "unknown strategy 'greedy'")]
    [InlineData("- { trains: none, until: plateau }", "- { trains: none }", "schedules.probe.phases[1].until: is required: the phase has no end")]
    [InlineData("trains: group 3", "trains: group 4", "schedules.probe.phases[2].trains: group 4 is out of range (groups 0 to 3) of lightweight-cnn")]
    public async Task A_mistake_is_one_line_and_exit_2_and_nothing_is_stored(string valid, string broken, string mentions)
    {
        Valid.Should().Contain(valid);

        await BadSpecs.RefusedByRunAndLaunchAsync(Valid.Replace(valid, broken), mentions);
    }

    [Fact]
    public async Task An_unknown_reference_strategy_for_the_report_is_one_line_and_exit_2()
    {
        var result = await Cli.RunAsync(Cli.TempDir(), TimeSpan.FromMinutes(1), "sweep", "report", "any", "--reference", "greedy");

        result.ExitCode.Should().Be(2);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
            .Which.Should().StartWith("error: --reference: unknown strategy 'greedy'");
    }
}
