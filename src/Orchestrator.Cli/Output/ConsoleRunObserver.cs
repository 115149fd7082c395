using System.Collections.Concurrent;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;
using Orchestrator.Domain.Trials;
using Orchestrator.Engine.Training;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Trials;
using Spectre.Console;

namespace Orchestrator.Cli.Output;

/// <summary>
/// Shows a running sweep. On a terminal: live progress bars, one per worker slot plus the sweep total.
/// Redirected (logs, CI): one plain line per journaled epoch and per trial start and end.
/// </summary>
public sealed class ConsoleRunObserver : IRunObserver
{
    private readonly ConcurrentDictionary<string, ProgressTask> _slotTasks = new();
    private readonly ConcurrentDictionary<string, string> _slotTrials = new();
    private ProgressContext? _live;
    private ProgressTask? _total;

    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> under live progress bars when on a terminal.</summary>
    public async Task<T> RunAsync<T>(int trials, int alreadyEnded, Func<Task<T>> work)
    {
        if (!Interactive) return await work();
        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                _live = ctx;
                _total = ctx.AddTask("[bold]sweep[/] trials ended", maxValue: Math.Max(1, trials));
                _total.Value = alreadyEnded;
                return await work();
            });
    }

    public void SweepPlanned(SweepId sweepId, int trials, int newTrials, int alreadyEnded) =>
        Console.WriteLine($"sweep {sweepId}: {trials} trial(s), {newTrials} new, {alreadyEnded} already ended");

    public void TrialClaimed(string slot, TrialId trialId, TrialSpec spec, TrialState state)
    {
        var resume = state.EpochsDone > 0 ? $", resuming after epoch {state.EpochsDone}" : "";
        var label = $"{trialId} {spec.Backbone}/{spec.Strategy.ToSpecString()}";
        _slotTrials[slot] = label;
        if (_live is null)
        {
            Console.WriteLine($"[{slot}] {label} started{resume}");
            return;
        }
        var task = _slotTasks.GetOrAdd(slot, s => _live.AddTask(s));
        task.Description = Markup.Escape($"{slot} {label}{resume}");
        task.MaxValue = 1;
        task.Value = 0;
    }

    public void BatchProgress(string slot, TrialId trialId, string phase, int epoch, BatchProgress progress)
    {
        if (_live is null || !_slotTasks.TryGetValue(slot, out var task)) return;
        task.Description = Markup.Escape($"{slot} {_slotTrials.GetValueOrDefault(slot)} epoch {epoch} {phase}");
        task.MaxValue = Math.Max(1, progress.BatchesTotal);
        task.Value = progress.BatchesDone;
    }

    public void EventsJournaled(string slot, TrialId trialId, IReadOnlyList<TrialEvent> events)
    {
        if (_live is null) Console.WriteLine($"[{slot}] {trialId} {EpochLine.Describe(events)}");
    }

    public void TrialEnded(string slot, TrialId trialId, TrialExit exit, TrialState state)
    {
        // A trial interrupted, or waiting at its rung, has not ended; replicates, launched later, add to the total.
        if (exit.End is not null && _total is { } total)
        {
            if (total.Value + 1 > total.MaxValue) total.MaxValue = total.Value + 1;
            total.Increment(1);
        }
        var result = Describe(exit, state);
        if (_live is null) Console.WriteLine($"[{slot}] {trialId} {result}");
        else if (_slotTasks.TryGetValue(slot, out var task)) task.Description = Markup.Escape($"{slot} {trialId} {result}");
    }

    /// <summary>What a slot's line says of a trial that left it.</summary>
    public static string Describe(TrialExit exit, TrialState state) => exit.End switch
    {
        TrialEnd.Completed when state.Result is { } r =>
            $"completed: test accuracy {r.TestAccuracy:P1}, macro-F1 {r.TestMacroF1:F3}, best epoch {r.BestEpoch} of {r.EpochsRun}",
        TrialEnd.Completed => "completed",
        TrialEnd.Failed => $"failed: {state.FailureReason ?? "no reason journaled"}",
        TrialEnd.Diverged => state.Divergence is { } d ? Divergence.Describe(d) : "diverged",
        TrialEnd.Cancelled => $"cancelled after epoch {state.EpochsDone}; its journal is kept for `sweep resume`",
        TrialEnd.Pruned => $"pruned after epoch {state.EpochsDone} by its cell's successive halving (best validation loss {state.BestValLoss:F4})",
        null when exit.AtRung => $"trained its rung's {state.EpochsDone} epoch(s) (best validation loss {state.BestValLoss:F4}); waits for its cell's decision",
        null => $"stopped after epoch {state.EpochsDone} and handed back; it resumes from its journal",
    };

    public void Note(string message)
    {
        if (_live is null) Console.WriteLine($"note: {message}");
        else _live.AddTask(Markup.Escape($"note: {message}"), autoStart: false, maxValue: 1).Value = 1;
    }
}
