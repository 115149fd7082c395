using Orchestrator.Domain.Coordination;
using Orchestrator.Cli.Planning;
using Orchestrator.Cli.Output;
using Orchestrator.Domain;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Engine.Datasets;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Orchestrator.Catalogue;
using Orchestrator.Catalogue.Leases;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>What `sweep run` and `demo` share: plan, prepare data, register, run locally, print results.</summary>
public static class SweepExecution
{
    public static async Task<int> RunAsync(string yaml, string storeUrl, int workers, Func<IReadOnlyList<string>, EngineChoices> engine,
        CancellationToken ct, string host = "127.0.0.1")
    {
        if (workers < 1) throw new InvalidInputException($"--workers: {workers} is invalid (must be >= 1)");
        var slots = Enumerable.Range(0, workers).Select(i => $"slot-{i}").ToList();
        var choices = engine(slots);
        var sweep = SweepData.Plan(yaml);
        var location = StoreUrl.Parse(storeUrl);
        await using var store = await StoreFactory.OpenAsync(storeUrl, ct);

        if (sweep.Spec.Data.Synthesize is { } synth && !File.Exists(Path.Combine(sweep.Spec.Data.Path, DatasetManifest.FileName)))
            Console.WriteLine($"synthesizing a SYNTHETIC chest X-ray-like set: {synth.Images} images of {synth.Size}x{synth.Size} -> {sweep.Spec.Data.Path}");
        SweepData.Ensure(sweep);

        var observer = new ConsoleRunObserver();
        using var datasets = new DatasetCache(PackedDataset.Open);
        // One coordinator per store: this process hosts it, or joins the cluster of the process that does. Its node takes
        // commands signed with the control key of the environment, if one is configured (the dashboard's Cancel, `sweep cancel`).
        await using var lease = CoordinatorLeases.For(location);
        await using var node = await StartNodeAsync(location, NodeOptions.Standalone with { Host = host, ControlKey = ControlKey.Load() }, store, lease, observer, ct);

        var added = await SweepPlanner.RegisterAsync(store, sweep, DateTimeOffset.UtcNow, ct);
        var before = await store.ListTrialsAsync(sweep.Id, ct);
        var ended = before.Count(t => t.Status.HasEnded());
        observer.SweepPlanned(sweep.Id, before.Count, added, ended);

        var services = new TrialServices(location.ArtifactRoot, datasets, Engines.Select(workers, observer, choices), observer);
        var final = await observer.RunAsync(before.Count, ended, () =>
            node.RunSweepAsync(store, sweep, services, slots, ct));
        var views = SweepViews.Compared(await SweepViews.LoadAsync(store, node.Journal, sweep.Id, ct), SweepPlan.Of(sweep.Spec, sweep.Trials));
        using (var data = PackedDataset.Open(sweep.Spec.Data.Path))
            AnsiConsole.Write(Tables.Results(SweepViews.Results(views), data.Manifest.Synthetic));
        if (final.All(t => t.Status.HasEnded()))
        {
            var (_, files) = await ReportCommand.WriteAsync(store, node.Journal, TestOutputsReader.For(location, store), (await store.GetSweepAsync(sweep.Id, ct))!, ReportCommand.DefaultFolder(location, sweep.Id.Value), png: false, ct);
            Console.WriteLine($"report: {files[0]}");
        }
        // A diverged trial is a result (its training blew up), and a pruned one a decision of the search: neither is a
        // failure of the run.
        var diverged = final.Count(t => t.Status == TrialStatus.Diverged);
        var pruned = final.Count(t => t.Status == TrialStatus.Pruned);
        var failed = final.Count(t => t.Status is not (TrialStatus.Completed or TrialStatus.Diverged or TrialStatus.Pruned));
        Console.WriteLine($"sweep {sweep.Spec.Name} ({sweep.Id}): {final.Count - failed - diverged - pruned} of {final.Count} trial(s) completed" +
                          (pruned > 0 ? $", {pruned} pruned" : "") +
                          (diverged > 0 ? $", {diverged} diverged" : "") +
                          (failed > 0 ? $", {failed} failed" : "") +
                          (failed + diverged > 0 ? $" (see `orchestrator sweep status {sweep.Id}`)" : ""));
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>How long a run waits to be let into the cluster of the process that holds its store.</summary>
    private static readonly TimeSpan JoinWithin = TimeSpan.FromSeconds(30);

    /// <summary>A one-node cluster with both roles (the same coordinator and slots as a cluster of boxes) when this
    /// process takes the store's coordinator lease; otherwise a node of the holder's cluster, with both roles too, so
    /// that it hosts the coordinator when the holder leaves first.</summary>
    /// <exception cref="InvalidInputException">Another process holds the store and this one cannot join it.</exception>
    private static async Task<OrchestratorNode> StartNodeAsync(StoreLocation location, NodeOptions standalone, ISweepCatalogue store,
        ICoordinatorLease lease, ConsoleRunObserver observer, CancellationToken ct)
    {
        var holder = await FindHolderAsync(lease, ct);
        if (holder is null) return await OrchestratorNode.StartAsync(location, standalone, store, observer, ct, lease: lease);
        observer.Note($"the store's sweep coordinator runs in {holder}: joining its cluster to run this sweep there");
        var options = standalone with { Seeds = [SeedAddress.Parse(holder.Address)] };
        try
        {
            return await OrchestratorNode.StartAsync(location, options, store, observer, ct, lease: lease, joinWithin: JoinWithin);
        }
        catch (ClusterJoinException)
        {
            throw new InvalidInputException($"the store {lease.Store} is held by the sweep coordinator of {holder}, and this process " +
                                            $"could not join its cluster within {JoinWithin.TotalSeconds:0} s; nothing was written " +
                                            "(run the sweep there with `sweep launch`, stop that process, or use another --store)");
        }
    }

    /// <summary>Null when this process took the lease; else the holder, once it has said where it can be joined.</summary>
    private static async Task<CoordinatorHolder?> FindHolderAsync(ICoordinatorLease lease, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + JoinWithin;
        while (true)
        {
            if (await lease.TryAcquireAsync(ct)) return null;
            // A holder that has just taken the lease publishes its address once its node is up.
            if (await lease.ReadHolderAsync(ct) is { } holder) return holder;
            if (DateTime.UtcNow > deadline)
                throw new InvalidInputException($"the store {lease.Store} is held by another process that has not said where its " +
                                                $"cluster can be joined within {JoinWithin.TotalSeconds:0} s; nothing was written");
            await Task.Delay(250, ct);
        }
    }
}
