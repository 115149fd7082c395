using System.CommandLine;
using System.Text.Json;
using Orchestrator.Domain;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Catalogue;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

public static class SweepCommands
{
    public static Command Create()
    {
        var sweep = new Command("sweep", "Run sweeps and query their state");
        sweep.Subcommands.Add(Run());
        sweep.Subcommands.Add(Status());
        sweep.Subcommands.Add(ReportCommand.Create());
        SweepClusterCommands.AddTo(sweep);
        return sweep;
    }

    private static Command Run()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Sweep spec (YAML)" };
        var store = CommonOptions.Store();
        var workers = CommonOptions.Workers();
        var engine = new EngineOptions();
        var host = CommonOptions.Host();
        var command = new Command("run", "Run a sweep to the end in this process (resumes where it stopped)") { spec, store, workers, host };
        engine.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var file = result.GetValue(spec)!;
            if (!file.Exists) throw new InvalidInputException($"spec: file not found: {file.FullName}");
            return await SweepExecution.RunAsync(await File.ReadAllTextAsync(file.FullName, ct), result.GetValue(store)!, result.GetValue(workers),
                slots => engine.Read(result, slots), ct, result.GetValue(host)!);
        }, ct));
        return command;
    }

    private static Command Status()
    {
        var id = new Argument<string?>("id") { Description = "Sweep id or name; all sweeps when left out", Arity = ArgumentArity.ZeroOrOne };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var watch = new Option<bool>("--watch") { Description = "Refresh every 2 s until every trial has ended (with --json: one JSON line per refresh)" };
        var command = new Command("status", "Trials of a sweep by state, epochs done and ETA (running trials asked of the live cluster), or a summary of every sweep") { id, store, json, watch };
        var cluster = ClusterClientOptions.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            await using var session = await StoreSession.OpenExistingAsync(result.GetValue(store)!, ct);
            var opened = session.Store;
            var asJson = result.GetValue(json);
            var requested = result.GetValue(id);
            if (requested is null)
                return await ListSweepsAsync(opened, session.Journal, asJson, ct);
            var sweepRecord = await SweepViews.FindAsync(opened, requested, ct)
                ?? throw new InvalidInputException($"no sweep '{requested}' in this store (see `orchestrator sweep status`)");
            return await SweepClusterCommands.PrintStatusAsync(opened, session.Journal, sweepRecord, asJson, result.GetValue(watch),
                () => LiveTrialsQuery.TryAskAsync(result, cluster, ct), LiveTrialsQuery.Fallback(result, cluster), ct);
        }, ct));
        return command;
    }

    private static async Task<int> ListSweepsAsync(ISweepCatalogue store, TrialJournalReader journal, bool asJson, CancellationToken ct)
    {
        var rows = new List<(SweepRecord Sweep, IReadOnlyDictionary<string, int> Counts)>();
        foreach (var s in await store.ListSweepsAsync(ct))
            rows.Add((s, Counts(await SweepViews.LoadAsync(store, journal, s.Id, ct))));
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new { id = r.Sweep.Id, name = r.Sweep.Name, createdAt = r.Sweep.CreatedAt, counts = r.Counts }), Tables.Json));
            return ExitCodes.Ok;
        }
        var table = new Table().AddColumns("sweep", "name", "created", "trials");
        foreach (var (s, counts) in rows)
            table.AddRow(s.Id.Value, s.Name, s.CreatedAt.ToString("u"), string.Join(", ", counts.Select(kv => $"{kv.Value} {kv.Key}")));
        AnsiConsole.Write(table);
        return ExitCodes.Ok;
    }

    private static IReadOnlyDictionary<string, int> Counts(IReadOnlyList<TrialView> trials) =>
        trials.GroupBy(Tables.Status).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
}
