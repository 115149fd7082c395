using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Domain;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Cli.Commands;

/// <summary>`trial show ID`: one trial's row, assignment and the state its journal folds to.</summary>
public static class TrialShowCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("trial-id") { Description = "Trial id (t-...)" };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command("show", "One trial: status, where it runs now (asked of the live cluster), assignments, progress and result") { id, store, json };
        var cluster = ClusterClientOptions.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var trialId = TrialId.Parse(result.GetValue(id));
            await using var session = await StoreSession.OpenExistingAsync(result.GetValue(store)!, ct);
            var opened = session.Store;
            var record = await opened.GetTrialAsync(trialId, ct)
                ?? throw new InvalidInputException($"no trial '{trialId}' in this store (see `orchestrator sweep status SWEEP`)");
            var events = await session.Journal.EffectiveAsync(trialId.Value, ct);
            var view = new TrialView(record, TrialSpecJson.Deserialize(record.SpecJson), TrialEvolution.Replay(events));
            var live = await LiveTrialsQuery.TryAskAsync(result, cluster, ct);
            var running = live?.Trials.FirstOrDefault(t => t.TrialId == trialId);
            if (live is null) Console.Error.WriteLine(LiveTrialsQuery.Fallback(result, cluster));
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    trial = Tables.TrialJson(view),
                    sweepId = record.SweepId,
                    assignedTo = record.AssignedTo,
                    assignments = record.Attempts,
                    attempt = view.State.Attempt,
                    events = events.Count,
                    updatedAt = record.UpdatedAt,
                    source = live is null ? "journal" : "cluster",
                    live = running is null ? null : LiveTrialsQuery.Json(running),
                }, Tables.Json));
                return ExitCodes.Ok;
            }
            var s = view.State;
            var slot = record.AssignedTo is null ? "not assigned" : $"assigned to {record.AssignedTo}";
            Console.WriteLine($"trial {record.Id} of sweep {record.SweepId}: {view.Spec.Backbone}/{view.Spec.Strategy.ToSpecString()}, seed {view.Spec.Seed}");
            Console.WriteLine($"status {Tables.Status(view)}, attempts {record.Attempts} (journaled: {view.State.Attempt}), {slot}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epochs {s.EpochsDone}/{view.Spec.MaxEpochs}, unfrozen {s.UnfrozenGroups}/{s.Groups}, lr {s.LearningRate:G4}, best val loss {(s.BestEpoch > 0 ? s.BestValLoss.ToString("F4", CultureInfo.InvariantCulture) : "-")} (epoch {s.BestEpoch}), {events.Count} event(s)"));
            if (s.Result is { } r)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy {r.TestAccuracy:P1}, macro-F1 {r.TestMacroF1:F3}"));
            if (s.FailureReason is { } f) Console.WriteLine($"failed: {f}");
            if (s.Divergence is { } d) Console.WriteLine(Divergence.Describe(d));
            if (live is not null) Console.WriteLine(running is null ? "live: not running on any node" : $"live: {LiveTrialsQuery.Describe(running)}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
