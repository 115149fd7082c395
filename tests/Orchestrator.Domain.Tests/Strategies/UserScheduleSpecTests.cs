using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;
using Orchestrator.Domain.Tests.Trials;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Strategies;

/// <summary>User schedules under `schedules:`: parsed into trials of their own, run by the decider, and every mistake
/// one line naming its place.</summary>
public class UserScheduleSpecTests
{
    private const string Spec = """
        name: mine
        data: { path: d }
        backbones: [lightweight-cnn, vgg16]
        strategies: [dynamic, probe-then-two, slow-thaw]
        schedules:
          probe-then-two:
            batchNorm: updated
            phases:
              - { trains: none, until: plateau }
              - { trains: deepest 2, until: epochs 3, rate: 0.5, restoreBest: true }
              - { trains: [0, 2], until: plateau 2, discriminative: 2, resetOptimizer: false }
          slow-thaw:
            phases:
              - { trains: group 1, until: never }
        hyperparameters: { patience: [4], epochs: [20] }
        """;

    [Fact]
    public void Each_named_schedule_is_a_custom_strategy_with_trials_of_its_own()
    {
        var spec = SweepSpecParser.Parse(Spec);
        spec.Strategies.Should().Equal(Strategy.Dynamic, Strategy.Custom);
        spec.Schedules!.Select(s => s.Name).Should().Equal("probe-then-two", "slow-thaw");

        var trials = SweepGrid.Expand(spec);
        trials.Where(t => t.Spec.Strategy == Strategy.Custom).Select(t => (t.Spec.Backbone, t.Spec.Schedule!.Name)).Should().Equal(
            ("lightweight-cnn", "probe-then-two"), ("lightweight-cnn", "slow-thaw"), ("vgg16", "probe-then-two"), ("vgg16", "slow-thaw"));
        trials.Select(t => t.Id).Should().OnlyHaveUniqueItems();
        var custom = trials.First(t => t.Spec.Strategy == Strategy.Custom);
        custom.CanonicalJson.Should().Contain("\"strategy\":\"custom\"").And.Contain("\"schedule\":{\"name\":\"probe-then-two\"");
        TrialSpecJson.Deserialize(custom.CanonicalJson).Should().Be(custom.Spec);
    }

    [Fact]
    public void A_user_schedule_resolves_against_the_backbone_and_runs_as_written()
    {
        var trial = SweepGrid.Expand(SweepSpecParser.Parse(Spec)).First(t => t.Spec.Schedule?.Name == "probe-then-two");
        var started = TrialDecider.Start(trial.Spec, 4);

        started.Schedule!.BatchNorm.Should().Be(BatchNormPolicy.Updated);
        started.Schedule.Phases.Select(p => (p.Trains.ToString(), p.End)).Should().Equal(
            ("{}", PhaseEnd.Plateau(4)), ("{2,3}", PhaseEnd.AfterEpochs(3)), ("{0,2}", PhaseEnd.Plateau(2)));
        var run = TrialDriver.Run(started, [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.7, 0.75, 0.75, 0.75]);
        run.All.OfType<EpochCompleted>().Select(c => c.TrainableGroups!.ToString()).Should().Equal(
            "{}", "{}", "{}", "{}", "{}", "{}", "{2,3}", "{2,3}", "{2,3}", "{0,2}", "{0,2}");
        run.All.OfType<GroupsUnfrozen>().Select(u => (u.Epoch, u.LearningRate)).Should().Equal((6, 0.001 * 0.5), (9, 0.001 * 0.5));
        run.All.OfType<BestWeightsRestored>().Select(r => (r.Epoch, r.BestEpoch)).Should().Equal((6, 2));
        run.State.StopReason.Should().Be(StopReason.FinalPlateau);
        TrialAudit.Violations(run.All).Should().BeEmpty();
    }

    public static TheoryData<string, string, string> Mistakes => new()
    {
        { "strategies: [dynamic, probe-then-two, slow-thaw]", "strategies: [dynamic, probe-then-tow, slow-thaw]",
            "spec: strategies: unknown strategy 'probe-then-tow' (supported: dynamic, fixed-top-n, full, linear-probe, two-stage, fixed-step, gradual, chain-thaw; schedules: probe-then-two, slow-thaw)" },
        { "- { trains: deepest 2, until: epochs 3, rate: 0.5, restoreBest: true }", "- { trains: deepest 2, rate: 0.5, restoreBest: true }",
            "spec: schedules.probe-then-two.phases[2].until: is required: the phase has no end (plateau, plateau N, epochs N or never)" },
        { "- { trains: group 1, until: never }", "- { trains: group 4, until: never }",
            "spec: schedules.slow-thaw.phases[1].trains: group 4 is out of range (groups 0 to 3) of lightweight-cnn" },
        { "- { trains: [0, 2], until: plateau 2", "- { trains: [0, 13], until: plateau 2",
            "spec: schedules.probe-then-two.phases[3].trains: group 13 is out of range (groups 0 to 3) of lightweight-cnn" },
        { "- { trains: none, until: plateau }", "- { trains: none, until: never }",
            "spec: schedules.probe-then-two.phases[1].until: only the last phase may run until `never`: no phase would follow it" },
        { "- { trains: none, until: plateau }", "- { trains: none, until: someday }",
            "spec: schedules.probe-then-two.phases[1].until: 'someday' is not an end (plateau, plateau N, epochs N or never)" },
        { "- { trains: deepest 2,", "- { trains: deepest 20,",
            "spec: schedules.probe-then-two.phases[2].trains: deepest 20 exceeds the 4 groups of lightweight-cnn" },
        { "- { trains: none, until: plateau }", "- { trains: half, until: plateau }",
            "spec: schedules.probe-then-two.phases[1].trains: 'half' is invalid (none, all, deepest N, group I or a list of group indices)" },
        { "  slow-thaw:", "  full:",
            "spec: schedules.full: 'full' is not a schedule name (lowercase letters, digits, '.', '_' and '-'; not a built-in strategy)" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Each_mistake_is_one_line_naming_its_place(string from, string to, string message)
    {
        Spec.Should().Contain(from);
        var act = () => SweepSpecParser.Parse(Spec.Replace(from, to));
        act.Should().Throw<SpecException>().Which.Message.Should().Be(message);
    }
}
