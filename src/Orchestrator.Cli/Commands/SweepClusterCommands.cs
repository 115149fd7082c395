using Orchestrator.Domain;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Cli.Planning;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Trials;
using Orchestrator.Catalogue;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>The sweep commands of a cluster: launch (register for workers), cancel, resume; and the progress part of
/// `sweep status`.</summary>
public static class SweepClusterCommands
{
    public static void AddTo(Command sweep)
    {
        sweep.Subcommands.Add(Launch());
        sweep.Subcommands.Add(SetCancelled("cancel", true,
            "Cancel a sweep: pending trials are cancelled, running ones stop at their next epoch boundary; journals and checkpoints are kept"));
        sweep.Subcommands.Add(SetCancelled("resume", false, "Resume a cancelled sweep: its cancelled trials become pending and continue from their journals"));
    }

    private const string ReachCoordinator = "Cluster nodes to reach the coordinator through";

    private static Command Launch()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Sweep spec (YAML)" };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command("launch", "Launch a sweep on the running cluster (idempotent: only new trials are added)") { spec, store, json };
        var cluster = ClusterClientOptions.AddCommandTo(command, ReachCoordinator);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var file = result.GetValue(spec)!;
            if (!file.Exists) throw new InvalidInputException($"spec: file not found: {file.FullName}");
            var planned = SweepData.Plan(await File.ReadAllTextAsync(file.FullName, ct));
            var signer = cluster.RequireSigner(result); // before the store is touched: a command without its key changes nothing
            var wait = cluster.Wait(result);
            await using var opened = await StoreFactory.OpenAsync(result.GetValue(store)!, ct);
            if (planned.Spec.Data.Synthesize is { } synth && !File.Exists(Path.Combine(planned.Spec.Data.Path, DatasetManifest.FileName)))
                Console.Error.WriteLine($"synthesizing a SYNTHETIC chest X-ray-like set: {synth.Images} images of {synth.Size}x{synth.Size} -> {planned.Spec.Data.Path}");
            SweepData.Ensure(planned);
            await using var client = cluster.Start(result, signer);
            var accepted = await SweepLauncher.LaunchAsync(opened, planned, m => client.CommandAsync(m, wait, ct), ct);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    id = planned.Id, name = planned.Spec.Name, trials = accepted.Trials, added = accepted.Added, cancelled = accepted.Cancelled,
                }, Tables.Json));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"sweep {planned.Spec.Name} ({planned.Id}): {accepted.Trials} trial(s), {accepted.Added} new" +
                              (accepted.Cancelled ? "; the sweep is cancelled: `orchestrator sweep resume` it for workers to run it" : "; workers pick them up"));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command SetCancelled(string name, bool cancel, string description)
    {
        var id = new Argument<string>("id") { Description = "Sweep id or name" };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command(name, description) { id, store, json };
        var cluster = ClusterClientOptions.AddCommandTo(command, ReachCoordinator);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var signer = cluster.RequireSigner(result);
            var wait = cluster.Wait(result);
            await using var session = await StoreSession.OpenExistingAsync(result.GetValue(store)!, ct);
            var sweep = await SweepViews.FindAsync(session.Store, result.GetValue(id)!, ct)
                ?? throw new InvalidInputException($"no sweep '{result.GetValue(id)}' in this store (see `orchestrator sweep status`)");
            await using var client = cluster.Start(result, signer);
            var answer = await client.CommandAsync(new ControlSweep(sweep.Id, cancel), wait, ct);
            if (answer is not SweepControlled controlled)
                throw new InvalidInputException($"sweep {sweep.Name} ({sweep.Id}) was never launched on this cluster (`orchestrator sweep launch` it)");
            if (result.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { id = sweep.Id, name = sweep.Name, cancelled = controlled.Cancelled, counts = controlled.Counts }, Tables.Json));
            else
                Console.WriteLine($"sweep {sweep.Name} ({sweep.Id}) {(cancel ? "cancelled; running trials stop at their next epoch boundary" : "resumed")}: " +
                                  string.Join(", ", controlled.Counts.Select(kv => $"{kv.Value} {kv.Key}")));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>`sweep status ID`: the trials table and a progress line (or JSON), refreshed with --watch until every trial has ended.</summary>
    public static async Task<int> PrintStatusAsync(ISweepCatalogue store, TrialJournalReader journal, SweepRecord sweep, bool asJson, bool watch,
        Func<Task<LiveTrials?>> askLive, string fallback, CancellationToken ct)
    {
        var saidFallback = false;
        while (true)
        {
            var live = await askLive();
            if (live is null && !saidFallback)
            {
                Console.Error.WriteLine(fallback);
                saidFallback = true;
            }
            var (trials, progress) = await SweepProgress.LoadAsync(store, journal, sweep.Id, ct);
            var ids = trials.Select(t => t.Record.Id).ToHashSet();
            var running = live?.Trials.Where(t => ids.Contains(t.TrialId)).OrderBy(t => t.TrialId.Value, StringComparer.Ordinal).ToList() ?? [];
            var cancelled = await store.IsSweepCancelledAsync(sweep.Id, ct);
            if (asJson)
            {
                var options = watch ? new JsonSerializerOptions(Tables.Json) { WriteIndented = false } : Tables.Json;
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    id = sweep.Id,
                    name = sweep.Name,
                    cancelled,
                    counts = progress.TrialsByStatus,
                    progress = new
                    {
                        epochsDone = progress.EpochsDone,
                        epochsLeftAtMost = progress.EpochsLeftAtMost,
                        meanEpochSeconds = progress.MeanEpochSeconds,
                        liveSlots = progress.Slots,
                        etaSeconds = progress.Eta?.TotalSeconds,
                    },
                    trials = trials.Select(Tables.TrialJson),
                    source = live is null ? "journal" : "cluster",
                    live = running.Select(LiveTrialsQuery.Json),
                }, options));
            }
            else
            {
                if (watch && ConsoleRunObserver.Interactive) AnsiConsole.Clear();
                AnsiConsole.Write(Tables.Trials(trials).Title($"sweep {sweep.Name} ({sweep.Id}){(cancelled ? " CANCELLED" : "")}"));
                Console.WriteLine(Describe(progress));
                foreach (var t in running) Console.WriteLine($"live: {LiveTrialsQuery.Describe(t)}");
            }
            var open = trials.Any(t => !t.Record.Status.HasEnded());
            if (!watch || !open) return ExitCodes.Ok;
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
    }

    private static string Describe(SweepProgress p) => $"{p.DescribeCounts()}; {p.EpochsDone} epoch(s) done; {p.DescribeEta()}";
}
