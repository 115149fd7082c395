using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Catalogue;
using Orchestrator.Cli.Output;
using Orchestrator.Domain;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

public static class TrialCommands
{
    public static Command Create()
    {
        var trial = new Command("trial", "Query one trial");
        trial.Subcommands.Add(Events());
        trial.Subcommands.Add(Audit());
        trial.Subcommands.Add(TrialShowCommand.Create());
        return trial;
    }

    private static Command Events()
    {
        var id = new Argument<string>("trial-id") { Description = "Trial id (t-...)" };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var all = new Option<bool>("--all") { Description = "Also show the events of superseded attempts (late writes that do not count), marked" };
        var command = new Command("events", "The trial's journal in sequence order: the events that count (its effective history)") { id, store, json, all };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var events = (await ReadAsync(result.GetValue(store)!, TrialId.Parse(result.GetValue(id)), result.GetValue(json), ct))
                .Where(e => result.GetValue(all) || !e.Superseded).ToList();
            if (result.GetValue(json))
            {
                var array = new JsonArray(events.Select(e =>
                {
                    var body = EventCatalog.ToPublicJson(e.Seq, e.Event);
                    if (e.Superseded) body["superseded"] = true;
                    return (JsonNode)body;
                }).ToArray());
                Console.WriteLine(array.ToJsonString(Tables.Json));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("seq", "attempt", "event", "details");
            foreach (var (seq, e, superseded) in events)
            {
                var body = EventCatalog.ToPublicJson(seq, e);
                body.Remove("seq");
                body.Remove("type");
                body.Remove("attempt");
                body.Remove("testPredictions");
                table.AddRow(seq.ToString(), e.Attempt.ToString(), EventCatalog.PublicName(e) + (superseded ? " (superseded)" : ""), Markup.Escape(body.ToJsonString()));
            }
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Audit()
    {
        var id = new Argument<string>("trial-id") { Description = "Trial id (t-...)" };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command("audit", "Check the trial's journal against its strategy's phase schedule (dynamic and fixed-top-n: Algorithm 1); exit 1 on a violation") { id, store, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var events = await ReadAsync(result.GetValue(store)!, TrialId.Parse(result.GetValue(id)), inlineOutputs: false, ct);
            var violations = TrialAudit.Violations(events.Select(e => e.Event).ToList());
            if (result.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { trial = result.GetValue(id), events = events.Count, violations }, Tables.Json));
            else if (violations.Count == 0)
                Console.WriteLine($"{result.GetValue(id)}: {events.Count} events, no violation of {AuditSubject(events)}");
            else
                foreach (var v in violations) Console.WriteLine($"{result.GetValue(id)}: {v}");
            return violations.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }, ct));
        return command;
    }

    // Journals without a schedule (dynamic and its fixed-top-n baseline) are checked as they always were, and say so.
    private static string AuditSubject(IReadOnlyList<JournaledEvent> events) =>
        events.Select(e => e.Event).OfType<TrialStarted>().LastOrDefault() is { Schedule: { } schedule } started
            ? $"the {started.Strategy.ToSpecString()} schedule ({schedule})"
            : "Algorithm 1";

    /// <summary>The trial's journal; with <paramref name="inlineOutputs"/> (the JSON form, a public contract) a
    /// <c>TrialCompleted</c> carries its per-image test outputs inline again, read from the file it names and verified
    /// (a file that is missing or damaged is said on stderr, and the event printed as stored).</summary>
    private static async Task<IReadOnlyList<JournaledEvent>> ReadAsync(string storeUrl, TrialId trialId, bool inlineOutputs, CancellationToken ct)
    {
        await using var session = await StoreSession.OpenExistingAsync(storeUrl, ct);
        _ = await session.Store.GetTrialAsync(trialId, ct)
            ?? throw new InvalidInputException($"no trial '{trialId}' in this store (see `orchestrator sweep status SWEEP`)");
        var events = await session.Journal.ReadAsync(trialId.Value, ct);
        if (!inlineOutputs) return events;
        var outputs = TestOutputsReader.For(session.Location, session.Store);
        var result = new List<JournaledEvent>(events.Count);
        foreach (var e in events)
        {
            if (e.Event is not TrialCompleted { TestOutputs: not null })
            {
                result.Add(e);
                continue;
            }
            var (inlined, problem) = await outputs.InlineAsync(trialId.Value, [e.Event], ct);
            if (problem is not null) Console.Error.WriteLine(problem);
            result.Add(e with { Event = inlined[0] });
        }
        return result;
    }
}
