using System.CommandLine;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime.Membership;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Store;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator coordinator`: the cluster's singleton; a second one waits as a standby.</summary>
public static class CoordinatorCommand
{
    public static Command Create()
    {
        var store = CommonOptions.Store();
        var unreachable = CommonOptions.Seconds("--unreachable-after", MembershipThresholds.Default.UnreachableAfter.TotalSeconds,
            "A node without a heartbeat for this many seconds is unreachable");
        var down = CommonOptions.Seconds("--down-after", MembershipThresholds.Default.DownAfter.TotalSeconds,
            "... and down after this many: its leases are expired and its trials move to other slots");
        var tick = CommonOptions.Seconds("--tick", 1, "Seconds between membership checks");
        var heartbeat = CommonOptions.Seconds("--heartbeat", 5, "Seconds between the coordinator's own heartbeats");
        var command = new Command("coordinator", "Run the cluster coordinator (one leads, others stand by): marks nodes unreachable/down, expires leases of down nodes")
        {
            store, unreachable, down, tick, heartbeat,
        };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            MembershipThresholds thresholds;
            try
            {
                thresholds = new MembershipThresholds(CommonOptions.PositiveSeconds(result, unreachable), CommonOptions.PositiveSeconds(result, down)).Validated();
            }
            catch (ArgumentException ex)
            {
                throw new InvalidInputException(ex.Message);
            }
            var options = new ClusterCoordinatorOptions(thresholds, CommonOptions.PositiveSeconds(result, tick), CommonOptions.PositiveSeconds(result, heartbeat));
            await using var opened = await StoreFactory.OpenAsync(result.GetValue(store)!, ct);
            Console.WriteLine($"coordinator {NodeIdentity.Current.Id}: unreachable after {thresholds.UnreachableAfter.TotalSeconds}s, down after {thresholds.DownAfter.TotalSeconds}s");
            await new ClusterCoordinator(opened, NodeIdentity.Current, TimeProvider.System, options, new ConsoleRunObserver()).RunAsync(ct);
            ct.ThrowIfCancellationRequested();
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
