using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestrator.Cli.Output;
using Orchestrator.Cluster.Sweeps;
using Orchestrator.Domain.Events;
using Orchestrator.Store;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

public static class TrialCommands
{
    public static Command Create()
    {
        var trial = new Command("trial", "Query one trial");
        trial.Subcommands.Add(Events());
        return trial;
    }

    private static Command Events()
    {
        var id = new Argument<string>("trial-id") { Description = "Trial id (t-...)" };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command("events", "The trial's journal, in sequence order") { id, store, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            await using var opened = await StoreFactory.OpenAsync(result.GetValue(store)!, ct);
            var trialId = result.GetValue(id)!;
            _ = await opened.GetTrialAsync(trialId, ct)
                ?? throw new InvalidInputException($"no trial '{trialId}' in this store (see `orchestrator sweep status SWEEP`)");
            var events = (await opened.ReadStreamAsync(trialId, ct))
                .Select(e => (e.Seq, Event: EventCatalog.Deserialize(e.Type, e.Payload)))
                .ToList();
            if (result.GetValue(json))
            {
                var array = new JsonArray(events.Select(e => (JsonNode)EventCatalog.ToPublicJson(e.Seq, e.Event)).ToArray());
                Console.WriteLine(array.ToJsonString(Tables.Json));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("seq", "event", "details");
            foreach (var (seq, e) in events)
            {
                var body = EventCatalog.ToPublicJson(seq, e);
                body.Remove("seq");
                body.Remove("type");
                body.Remove("testPredictions");
                table.AddRow(seq.ToString(), EventCatalog.PublicName(e), Markup.Escape(body.ToJsonString()));
            }
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
