using System.CommandLine;
using System.Globalization;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Membership;
using Orchestrator.Engine.Datasets;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Store;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator worker`: a cluster node that claims trials of every active sweep and trains them.</summary>
public static class WorkerCommand
{
    public static Command Create()
    {
        var store = CommonOptions.Store();
        var slots = new Option<int?>("--slots") { Description = "Worker slots (trials trained at once); default 1" };
        var gpus = new Option<string?>("--gpus") { Description = "One slot per listed GPU index, e.g. 0,1,2,3 (instead of --slots)" };
        var lease = CommonOptions.Seconds("--lease", 30, "Lease duration in seconds; renewed every third of it while a trial runs");
        var heartbeat = CommonOptions.Seconds("--heartbeat", 5, "Seconds between heartbeats");
        var poll = CommonOptions.Seconds("--poll", 1, "Seconds between looks for work while idle");
        var exitWhenIdle = new Option<bool>("--exit-when-idle") { Description = "Exit once no sweep has a pending or running trial" };
        var command = new Command("worker", "Join the cluster as a worker: claim trials from the store and train them (Ctrl+C stops; trials resume elsewhere)")
        {
            store, slots, gpus, lease, heartbeat, poll, exitWhenIdle,
        };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var names = SlotNames(result.GetValue(slots), result.GetValue(gpus));
            var leaseDuration = CommonOptions.PositiveSeconds(result, lease);
            var options = new ClusterWorkerOptions(names, leaseDuration, CommonOptions.PositiveSeconds(result, heartbeat),
                CommonOptions.PositiveSeconds(result, poll), result.GetValue(exitWhenIdle));
            if (options.HeartbeatInterval >= leaseDuration)
                throw new InvalidInputException($"--heartbeat ({options.HeartbeatInterval.TotalSeconds}s) must be shorter than --lease ({leaseDuration.TotalSeconds}s)");

            var url = result.GetValue(store)!;
            var location = StoreUrl.Parse(url);
            await using var opened = await StoreFactory.OpenAsync(location, ct);
            var observer = new ConsoleRunObserver();
            using var datasets = new DatasetCache(PackedDataset.Open);
            var services = new TrialServices(location.ArtifactRoot, datasets, Engines.Select(names.Count, observer), observer,
                location.CheckpointsInStore ? opened as IArtifactBlobs : null);
            Console.WriteLine($"worker: store {location.DatabasePath}, checkpoints in {(location.CheckpointsInStore ? "the database, cached in " : "")}{location.ArtifactRoot}");
            await using var node = await OrchestratorNode.StartAsync(location, new NodeOptions("127.0.0.1", 0, [NodeOptions.WorkerRole]), ct);
            await new ClusterWorker(opened, node, services, NodeIdentity.Current, TimeProvider.System, options).RunAsync(ct);
            ct.ThrowIfCancellationRequested();
            Console.WriteLine("worker: no pending or running trial is left; exiting");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static IReadOnlyList<string> SlotNames(int? slots, string? gpus)
    {
        if (slots is not null && gpus is not null) throw new InvalidInputException("--slots and --gpus: give one of them");
        if (gpus is not null)
        {
            var ids = gpus.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length == 0 || ids.Any(g => !int.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out _)) || ids.Distinct().Count() != ids.Length)
                throw new InvalidInputException($"--gpus: '{gpus}' is not a list of distinct GPU indices such as 0,1");
            return ids.Select(g => $"gpu-{g}").ToList();
        }
        var count = slots ?? 1;
        if (count < 1) throw new InvalidInputException($"--slots: {count} is invalid (must be >= 1)");
        return ClusterWorkerOptions.Slots(count);
    }
}
