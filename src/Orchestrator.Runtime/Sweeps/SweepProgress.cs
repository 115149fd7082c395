using System.Globalization;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Sweeps;

/// <summary>Where a sweep stands: trials by status, epochs journaled, and an estimate of the time left.</summary>
public sealed record SweepProgress(
    IReadOnlyDictionary<string, int> TrialsByStatus,
    int EpochsDone,
    int EpochsLeftAtMost,
    double? MeanEpochSeconds,
    int Slots,
    TimeSpan? Eta)
{
    /// <summary>Pure. Epochs left are bounded by each open trial's budget (a plateau may stop it earlier); the
    /// estimate spreads them over the slots of live workers, at the mean journaled epoch time.</summary>
    public static SweepProgress Estimate(IReadOnlyList<TrialView> trials, IReadOnlyList<double> epochSeconds, int slots)
    {
        var byStatus = trials.GroupBy(StatusOf).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
        var open = trials.Where(t => !t.Record.Status.HasEnded() && !t.State.IsTerminal).ToList();
        var left = open.Sum(t => Math.Max(0, t.Spec.MaxEpochs - t.State.EpochsDone));
        double? mean = epochSeconds.Count > 0 ? epochSeconds.Average() : null;
        TimeSpan? eta = open.Count == 0 ? TimeSpan.Zero
            : mean is { } m && slots > 0 ? TimeSpan.FromSeconds(left * m / Math.Min(slots, open.Count)) : null;
        return new SweepProgress(byStatus, trials.Sum(t => t.State.EpochsDone), left, mean, slots, eta);
    }

    /// <summary>"2 completed, 1 running", as `sweep status` and the dashboard print it.</summary>
    public string DescribeCounts() => string.Join(", ", TrialsByStatus.Select(kv => $"{kv.Value} {kv.Key}"));

    /// <summary>"ETA at most 1:20 (...)", "ETA unknown (...)" or "nothing left to run", as `sweep status` prints it.</summary>
    public string DescribeEta() => Eta switch
    {
        null => "ETA unknown (no live worker slots or no epoch timed yet)",
        { } e when e == TimeSpan.Zero => "nothing left to run",
        { } e => $"ETA at most {e.ToString(e.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture)} " +
                 $"({EpochsLeftAtMost} epoch(s) left at most, {MeanEpochSeconds:F1}s each, {Slots} live slot(s))",
    };

    /// <summary>The journal's final outcome wins over the row.</summary>
    public static string StatusOf(TrialView t) => (t.State.End?.Status() ?? t.Record.Status).ToString().ToLowerInvariant();

    /// <summary>Reads the sweep's trials and journals once. The slots at work on the sweep are those its running trials
    /// occupy (counted from the same rows, without asking the cluster).</summary>
    public static async Task<(IReadOnlyList<TrialView> Trials, SweepProgress Progress)> LoadAsync(ISweepCatalogue store,
        TrialJournalReader journal, SweepId sweepId, CancellationToken ct)
    {
        var loaded = await SweepViews.LoadWithEventsAsync(store, journal, sweepId, ct);
        var views = loaded.Select(t => t.View).ToList();
        var seconds = loaded.SelectMany(t => t.Events.OfType<EpochCompleted>().Select(e => e.Seconds)).ToList();
        return (views, Estimate(views, seconds, views.Count(v => v.Record.Status == TrialStatus.Running)));
    }
}
