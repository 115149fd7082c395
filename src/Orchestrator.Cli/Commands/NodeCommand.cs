using System.Globalization;
using Akka.Actor;
using Orchestrator.Cli.Output;
using Orchestrator.Domain;
using Orchestrator.Engine.Datasets;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Trials;
using Orchestrator.Catalogue;

namespace Orchestrator.Cli.Commands;

/// <summary>What `orchestrator coordinator` and `orchestrator worker` share: start a cluster node, run its slots,
/// and stay until interrupted, downed, or (with <c>exitWhenIdle</c>) out of work.</summary>
public static class NodeCommand
{
    public static async Task<int> RunAsync(string storeUrl, NodeOptions options, IReadOnlyList<string> slots, EngineChoices engine,
        bool exitWhenIdle, CancellationToken ct)
    {
        var location = StoreUrl.Parse(storeUrl);
        await using var store = await StoreFactory.OpenAsync(location, ct);
        var observer = new ConsoleRunObserver();
        using var datasets = new DatasetCache(PackedDataset.Open);
        Console.WriteLine($"node: roles {string.Join(", ", options.Roles)}; store {location.DatabasePath}" +
                          (slots.Count > 0 ? $"; checkpoints in {(location.CheckpointsInStore ? "the database, cached in " : "")}{location.ArtifactRoot}" : "") +
                          $"; joining {(options.Seeds.Count == 0 ? "itself" : string.Join(", ", options.Seeds))}");
        await using var node = await OrchestratorNode.StartAsync(location, options, store, observer, ct);
        Console.WriteLine($"node {node.Address} is up");
        var tls = Environment.GetEnvironmentVariable(RemoteTlsSettings.CertificateVariable) is { Length: > 0 };
        Console.WriteLine((options.ControlKey, tls) switch
        {
            ({ } key, _) => $"control: commands that change the cluster are taken when signed with the key of {key.Source}" +
                            (tls ? " or an operator certificate of the cluster's CA" : "") + $"; audit log {AuditLog.DefaultPath}",
            (null, true) => $"control: commands that change the cluster are taken when signed with an operator certificate of the cluster's CA; audit log {AuditLog.DefaultPath}",
            (null, false) => $"control: no control key, so this node takes no command that changes the cluster ({ControlKey.HowToConfigure})",
        });
        if (slots.Count > 0)
        {
            var services = new TrialServices(location.ArtifactRoot, datasets, Engines.Select(slots.Count, observer, engine), observer,
                location.CheckpointsInStore ? store as IArtifactBlobs : null);
            node.StartSlots(slots, services, store);
            Console.WriteLine($"worker: {slots.Count} slot(s): {string.Join(", ", slots)}");
        }

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var idleWatch = exitWhenIdle ? WatchIdleAsync(node, idle.Token) : Task.Delay(Timeout.Infinite, idle.Token);
        var terminated = node.Terminated;
        var ended = await Task.WhenAny(terminated, idleWatch, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
        if (ended == terminated)
        {
            if (await terminated)
                return CommandRunner.Fail("this node was removed from the cluster (downed by the split-brain resolver or an operator); " +
                                          "exiting so that its supervisor starts it afresh", ExitCodes.Failed);
            return ExitCodes.Ok;
        }
        await idle.CancelAsync();
        if (!await node.HandBackAsync(TimeSpan.FromSeconds(60)))
            observer.Note("some trials did not stop within 60 s; the coordinator queues them again once this node has left");
        ct.ThrowIfCancellationRequested();
        Console.WriteLine("worker: no pending or running trial is left; exiting");
        return ExitCodes.Ok;
    }

    /// <summary>Returns once the coordinator, having had work since this node started, holds no pending and no running
    /// trial: a worker started before the sweep is launched waits for it.</summary>
    private static async Task WatchIdleAsync(OrchestratorNode node, CancellationToken ct)
    {
        var seenWork = false;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            try
            {
                var queue = await node.Coordinator.Ask<QueueStatus>(new GetQueueStatus(), TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                var idle = queue.Pending == 0 && queue.Running.Count == 0;
                if (idle && seenWork) return;
                seenWork |= !idle;
            }
            catch (AskTimeoutException)
            {
                // The coordinator is moving or recovering: ask again.
            }
        }
    }

    /// <summary>`--slots N` or `--gpus 0,1,...` as slot names.</summary>
    public static IReadOnlyList<string> SlotNames(int? slots, string? gpus, int defaultSlots)
    {
        if (slots is not null && gpus is not null) throw new InvalidInputException("--slots and --gpus: give one of them");
        if (gpus is not null)
        {
            var ids = gpus.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length == 0 || ids.Any(g => !int.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out _)) || ids.Distinct().Count() != ids.Length)
                throw new InvalidInputException($"--gpus: '{gpus}' is not a list of distinct GPU indices such as 0,1");
            return ids.Select(g => $"gpu-{g}").ToList();
        }
        var count = slots ?? defaultSlots;
        if (count < 0 || (count == 0 && defaultSlots > 0)) throw new InvalidInputException($"--slots: {count} is invalid (must be >= 1)");
        return Enumerable.Range(0, count).Select(i => $"slot-{i}").ToList();
    }

    /// <exception cref="InvalidInputException">A port outside 0..65535.</exception>
    public static int Port(int port) => port is >= 0 and <= 65535 ? port
        : throw new InvalidInputException($"--port: {port} is invalid (0..65535; 0 takes a free one)");
}
