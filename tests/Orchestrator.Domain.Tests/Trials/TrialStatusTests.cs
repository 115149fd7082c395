using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Trials;

public class TrialStatusTests
{
    [Theory]
    [InlineData(TrialEnd.Completed, TrialStatus.Completed)]
    [InlineData(TrialEnd.Failed, TrialStatus.Failed)]
    [InlineData(TrialEnd.Cancelled, TrialStatus.Cancelled)]
    [InlineData(TrialEnd.Diverged, TrialStatus.Diverged)]
    [InlineData(TrialEnd.Pruned, TrialStatus.Pruned)]
    public void An_end_leads_to_the_status_of_its_name(TrialEnd end, TrialStatus status) => end.Status().Should().Be(status);

    [Fact]
    public void Only_pending_and_running_trials_have_not_ended() =>
        Enum.GetValues<TrialStatus>().Where(s => !s.HasEnded()).Should().Equal(TrialStatus.Pending, TrialStatus.Running);

    [Theory]
    [InlineData(TrialPhase.NotStarted, null)]
    [InlineData(TrialPhase.Training, null)]
    [InlineData(TrialPhase.Stopped, null)]
    [InlineData(TrialPhase.Completed, TrialEnd.Completed)]
    [InlineData(TrialPhase.Failed, TrialEnd.Failed)]
    [InlineData(TrialPhase.Diverged, TrialEnd.Diverged)]
    [InlineData(TrialPhase.Pruned, TrialEnd.Pruned)]
    public void A_state_has_an_end_once_its_phase_is_final(TrialPhase phase, TrialEnd? end)
    {
        var state = TrialState.Initial with { Phase = phase };

        state.End.Should().Be(end);
        state.IsTerminal.Should().Be(end is not null);
    }

    [Fact]
    public void The_values_keep_their_names_and_order()
    {
        // Stored by name (store rows, journaled events and snapshots) and ordered by value in counts.
        Enum.GetNames<TrialStatus>().Should().Equal("Pending", "Running", "Completed", "Failed", "Cancelled", "Diverged", "Pruned");
        Enum.GetNames<TrialEnd>().Should().Equal("Completed", "Failed", "Cancelled", "Diverged", "Pruned");
    }

    [Fact]
    public void Only_a_completed_or_diverged_trial_ends_with_a_result() =>
        Enum.GetValues<TrialEnd>().Where(e => e.IsResult()).Should().Equal(TrialEnd.Completed, TrialEnd.Diverged);
}
