using Orchestrator.Cli.Output;
using Orchestrator.Cluster.Runtime;
using Orchestrator.Cluster.Sweeps;
using Orchestrator.Cluster.Trials;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Training;
using Orchestrator.Store;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>What `sweep run` and `demo` share: plan, prepare data, register, run locally, print results.</summary>
public static class SweepExecution
{
    public static async Task<int> RunAsync(string yaml, string storeUrl, int workers, CancellationToken ct)
    {
        if (workers < 1) throw new InvalidInputException($"--workers: {workers} is invalid (must be >= 1)");
        var sweep = SweepPlanner.Plan(yaml);
        var location = StoreUrl.Parse(storeUrl);
        await using var store = await StoreFactory.OpenAsync(storeUrl, ct);

        if (sweep.Spec.Data.Synthesize is { } synth && !File.Exists(Path.Combine(sweep.Spec.Data.Path, DatasetManifest.FileName)))
            Console.WriteLine($"synthesizing a SYNTHETIC chest X-ray-like set: {synth.Images} images of {synth.Size}x{synth.Size} -> {sweep.Spec.Data.Path}");
        SweepPlanner.EnsureData(sweep);

        var clock = TimeProvider.System;
        var added = await SweepPlanner.RegisterAsync(store, sweep, clock.GetUtcNow(), ct);
        var before = await store.ListTrialsAsync(sweep.Id, ct);
        var ended = before.Count(t => t.Status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Cancelled);
        var observer = new ConsoleRunObserver();
        observer.SweepPlanned(sweep.Id, before.Count, added, ended);

        var trainers = Engines.Select(workers, observer);
        var cluster = new LocalCluster(store, location.ArtifactRoot, trainers, observer, clock, LocalClusterOptions.Default(workers));
        var final = await observer.RunAsync(before.Count, ended, () => cluster.RunSweepAsync(sweep.Id, ct));

        var views = await SweepViews.LoadAsync(store, sweep.Id, ct);
        using (var data = PackedDataset.Open(sweep.Spec.Data.Path))
            AnsiConsole.Write(Tables.Results(SweepViews.Results(views), data.Manifest.Synthetic));
        if (final.All(t => t.Status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Cancelled))
        {
            var (_, files) = await ReportCommand.WriteAsync(store, (await store.GetSweepAsync(sweep.Id, ct))!, ReportCommand.DefaultFolder(location, sweep.Id), ct);
            Console.WriteLine($"report: {files[0]}");
        }
        var failed = final.Count(t => t.Status != TrialStatus.Completed);
        Console.WriteLine($"sweep {sweep.Spec.Name} ({sweep.Id}): {final.Count - failed} of {final.Count} trial(s) completed" +
                          (failed > 0 ? $", {failed} failed (see `orchestrator sweep status {sweep.Id}`)" : ""));
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
