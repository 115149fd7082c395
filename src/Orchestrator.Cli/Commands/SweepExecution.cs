using Orchestrator.Cli.Planning;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Datasets;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;
using Orchestrator.Store;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>What `sweep run` and `demo` share: plan, prepare data, register, run locally, print results.</summary>
public static class SweepExecution
{
    public static async Task<int> RunAsync(string yaml, string storeUrl, int workers, Func<IReadOnlyList<string>, EngineChoices> engine,
        CancellationToken ct)
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

        var added = await SweepPlanner.RegisterAsync(store, sweep, DateTimeOffset.UtcNow, ct);
        var before = await store.ListTrialsAsync(sweep.Id, ct);
        var ended = before.Count(t => t.Status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Cancelled);
        var observer = new ConsoleRunObserver();
        observer.SweepPlanned(sweep.Id, before.Count, added, ended);

        using var datasets = new DatasetCache(PackedDataset.Open);
        var services = new TrialServices(location.ArtifactRoot, datasets, Engines.Select(workers, observer, choices), observer);
        // A one-node cluster with both roles: the same coordinator and slots as a cluster of boxes.
        await using var node = await OrchestratorNode.StartAsync(location, NodeOptions.Standalone, store, observer, ct);
        var final = await observer.RunAsync(before.Count, ended, () =>
            node.RunSweepAsync(store, sweep, services, slots, ct));
        var views = await SweepViews.LoadAsync(store, node.Journal, sweep.Id, ct);
        using (var data = PackedDataset.Open(sweep.Spec.Data.Path))
            AnsiConsole.Write(Tables.Results(SweepViews.Results(views), data.Manifest.Synthetic));
        if (final.All(t => t.Status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Cancelled))
        {
            var (_, files) = await ReportCommand.WriteAsync(store, node.Journal, (await store.GetSweepAsync(sweep.Id, ct))!, ReportCommand.DefaultFolder(location, sweep.Id), png: false, ct);
            Console.WriteLine($"report: {files[0]}");
        }
        var failed = final.Count(t => t.Status != TrialStatus.Completed);
        Console.WriteLine($"sweep {sweep.Spec.Name} ({sweep.Id}): {final.Count - failed} of {final.Count} trial(s) completed" +
                          (failed > 0 ? $", {failed} failed (see `orchestrator sweep status {sweep.Id}`)" : ""));
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
