using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Domain;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Catalogue;

namespace Orchestrator.Dashboard;

/// <summary>A sweep as the dashboard shows it: its trials, their progress and ETA (as `sweep status` computes them).</summary>
public sealed record SweepPage(SweepRecord Sweep, bool Cancelled, IReadOnlyList<TrialView> Trials, SweepProgress Progress)
{
    public bool Ended => Trials.All(t => t.Record.Status.HasEnded());
}

/// <summary>A trial with its journal, and where it runs now when the cluster says so.</summary>
public sealed record TrialPage(TrialView View, IReadOnlyList<JournaledEvent> Journal, LiveTrial? Live, bool ClusterAnswered);

/// <summary>What the control buttons of a sweep page lead to.</summary>
public enum ControlOutcome { Done, NeverLaunched, NoCluster, Refused }

/// <summary>The dashboard's reads of the store, the trials' journals and the cluster, for the lifetime of the app.</summary>
public sealed class DashboardData(ISweepCatalogue store, TrialJournalReader journal, JournalWatch watch, ClusterProbe cluster, ISweepReports reports)
{
    public ISweepCatalogue Store => store;

    /// <summary>The journals' live queries, which the pages' event streams follow.</summary>
    public JournalWatch Watch => watch;

    public ClusterProbe Cluster => cluster;

    public async Task<IReadOnlyList<SweepPage>> SweepsAsync(CancellationToken ct)
    {
        var pages = new List<SweepPage>();
        foreach (var sweep in await store.ListSweepsAsync(ct)) pages.Add(await LoadAsync(sweep, ct));
        return pages;
    }

    /// <summary>Null for an id or name the store does not know.</summary>
    public async Task<SweepPage?> SweepAsync(string idOrName, CancellationToken ct) =>
        await SweepViews.FindAsync(store, idOrName, ct) is { } sweep ? await LoadAsync(sweep, ct) : null;

    private async Task<SweepPage> LoadAsync(SweepRecord sweep, CancellationToken ct)
    {
        var (trials, progress) = await SweepProgress.LoadAsync(store, journal, sweep.Id, ct);
        return new SweepPage(sweep, await store.IsSweepCancelledAsync(sweep.Id, ct), trials, progress);
    }

    /// <summary>The journals whose next event changes what the sweeps' pages show: the coordinator's (trials assigned,
    /// ended, cancelled) and each running trial's (its epochs).</summary>
    public static IReadOnlyCollection<string> Followed(IEnumerable<SweepPage> sweeps) =>
    [
        SweepCoordinator.Id,
        .. sweeps.SelectMany(s => s.Trials).Where(t => t.Record.Status == TrialStatus.Running).Select(t => JournalSettings.PersistenceIdOf(t.Record.Id.Value)),
    ];

    /// <summary>Null for an id the store does not know.</summary>
    public async Task<TrialPage?> TrialAsync(string trialId, CancellationToken ct)
    {
        // A route segment: never blank.
        if (await store.GetTrialAsync(new TrialId(trialId), ct) is not { } record) return null;
        var journaled = await journal.ReadAsync(trialId, ct);
        var state = TrialEvolution.Replay(journaled.Where(e => !e.Superseded).Select(e => e.Event).ToList());
        var view = new TrialView(record, TrialSpecJson.Deserialize(record.SpecJson), state);
        LiveTrials? live = null;
        if (record.Status == TrialStatus.Running) live = (await cluster.AskNodeAsync<LiveTrials>(new GetLiveTrials(), ct)).Answer;
        return new TrialPage(view, journaled, live?.Trials.FirstOrDefault(t => t.TrialId == record.Id), live is not null);
    }

    /// <summary>What `sweep cancel` / `sweep resume` do: ask the coordinator. The coordinator makes it idempotent (a second
    /// cancel of a cancelled sweep changes nothing).</summary>
    public async Task<ControlOutcome> ControlAsync(SweepRecord sweep, bool cancel, CancellationToken ct)
    {
        try
        {
            return (await cluster.CommandAsync(new ControlSweep(sweep.Id, cancel), ct)).Answer switch
            {
                SweepControlled => ControlOutcome.Done,
                null => ControlOutcome.NoCluster,
                _ => ControlOutcome.NeverLaunched,
            };
        }
        catch (InvalidInputException)
        {
            return ControlOutcome.Refused; // no control key, or the cluster refused it (the node's audit log says why)
        }
    }

    /// <summary>The report.html `sweep report` writes, written again when a trial changed after it (or never written).</summary>
    public async Task<string> ReportAsync(SweepRecord sweep, CancellationToken ct)
    {
        var folder = reports.FolderOf(sweep.Id.Value);
        var file = Path.GetFullPath(Path.Combine(folder, "report.html"));
        var changed = (await store.ListTrialsAsync(sweep.Id, ct)).Select(t => t.UpdatedAt).DefaultIfEmpty(sweep.CreatedAt).Max();
        if (!File.Exists(file) || File.GetLastWriteTimeUtc(file) < changed.UtcDateTime)
            await reports.WriteAsync(sweep, folder, ct);
        return file;
    }
}
