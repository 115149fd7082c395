using System.CommandLine;
using System.Text.Json;
using Orchestrator.Domain;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Reporting.Rendering;
using Orchestrator.Reporting.Reports;
using Orchestrator.Catalogue;

namespace Orchestrator.Cli.Commands;

/// <summary>`sweep report ID [--out DIR] [--png] [--json]`: the statistical comparison of a sweep, written as files.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Sweep id or name" };
        var output = new Option<string?>("--out") { Description = "Folder for the report files (default: <artifact root>/reports/<sweep id>)" };
        var png = new Option<bool>("--png") { Description = "Also write each figure as figures/<name>.png beside its SVG" };
        var reference = new Option<string>("--reference")
        {
            Description = "The strategy every other one is compared with pairwise (Wilcoxon, Holm's correction)",
            DefaultValueFactory = _ => Strategy.Dynamic.ToSpecString(),
        };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command("report", "Write a sweep's results, statistical tests and figures (report.md, report.html, results.csv, results.json, figures/)")
            { id, output, png, reference, store, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var referenceName = result.GetValue(reference)!;
            if (!SpecSpelling<Strategy>.TryParse(referenceName, out var referenceStrategy))
                throw new InvalidInputException($"--reference: unknown strategy '{referenceName}' (supported: {string.Join(", ", SpecSpelling<Strategy>.All)})");
            var url = result.GetValue(store)!;
            await using var session = await StoreSession.OpenExistingAsync(url, ct);
            var opened = session.Store;
            var requested = result.GetValue(id)!;
            var sweep = await SweepViews.FindAsync(opened, requested, ct)
                ?? throw new InvalidInputException($"no sweep '{requested}' in this store (see `orchestrator sweep status`)");
            var folder = result.GetValue(output) ?? DefaultFolder(StoreUrl.Parse(url), sweep.Id.Value);
            OutputFolder.EnsureWritable(Path.Combine(folder, "report.html"), "--out");
            var (report, files) = await WriteAsync(opened, session.Journal, TestOutputsReader.For(session.Location, opened), sweep, folder,
                result.GetValue(png), ct,
                ReportSettings.Default with { Reference = referenceStrategy });
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    sweepId = report.SweepId,
                    name = report.Name,
                    folder = Path.GetFullPath(folder),
                    trials = report.TotalTrials,
                    completed = report.Completed.Count,
                    incomplete = report.Incomplete.Select(t => new { id = t.TrialId, state = t.State.ToString().ToLowerInvariant(), reason = t.Reason }),
                    files = files.Select(Path.GetFullPath),
                }, Tables.Json));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"report of sweep {report.Name} ({report.SweepId}): {report.Completed.Count} of {report.TotalTrials} trial(s) completed" +
                              (report.Incomplete.Count > 0 ? $", {report.Incomplete.Count} without a result (listed in the report)" : ""));
            Console.WriteLine($"written to {Path.GetFullPath(folder)}: {string.Join(", ", files.Select(f => Path.GetRelativePath(folder, f)).Take(4))} and {report.Figures.Count} figure(s)" +
                              (result.GetValue(png) ? " (SVG and PNG)" : ""));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public static string DefaultFolder(StoreLocation location, string sweepId) => Path.Combine(location.ArtifactRoot, "reports", sweepId);

    public static async Task<(SweepReport Report, IReadOnlyList<string> Files)> WriteAsync(ISweepCatalogue store, TrialJournalReader journal,
        TestOutputsReader outputs, SweepRecord sweep, string folder, bool png, CancellationToken ct, ReportSettings? settings = null)
    {
        var report = SweepReportBuilder.Build(await LoadAsync(store, journal, outputs, sweep, ct), settings);
        return (report, await ReportFiles.WriteAsync(report, folder, png, ct));
    }

    /// <summary>The sweep's trials and journals as the report reads them, each result with its per-image test outputs
    /// (a file that is missing or damaged is said on stderr, and that trial's per-image statistics are left out); the
    /// dataset manifest only for its synthetic label.</summary>
    public static async Task<SweepResults> LoadAsync(ISweepCatalogue store, TrialJournalReader journal, TestOutputsReader outputs,
        SweepRecord sweep, CancellationToken ct)
    {
        var trials = new List<TrialResults>();
        foreach (var (view, events) in await SweepViews.LoadWithEventsAsync(store, journal, sweep.Id, ct))
        {
            var (inlined, problem) = await outputs.InlineAsync(view.Record.Id.Value, events, ct);
            if (problem is not null) Console.Error.WriteLine(problem);
            trials.Add(new TrialResults(view.Record.Id.Value, view.Spec, view.Record.Status, inlined));
        }
        var dataPath = trials.FirstOrDefault()?.Spec.Data.Path ?? "";
        return new SweepResults(sweep.Id.Value, sweep.Name, dataPath, ReadSynthetic(dataPath), trials, PlanOf(sweep));
    }

    /// <summary>The cells of a sweep that pruned or replicated, from its stored spec; null for any other (or a spec this
    /// version no longer reads: its trials are then compared as a plain grid's).</summary>
    public static SweepPlan? PlanOf(SweepRecord sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        try
        {
            var spec = SweepSpecParser.Parse(sweep.SpecYaml);
            return SweepPlan.Of(spec, SweepGrid.Expand(spec));
        }
        catch (SpecException)
        {
            return null;
        }
    }

    private static bool? ReadSynthetic(string dataPath)
    {
        try
        {
            var file = Path.Combine(dataPath, DatasetManifest.FileName);
            return dataPath.Length > 0 && File.Exists(file) ? ManifestJson.Deserialize(File.ReadAllText(file)).Synthetic : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or JsonException)
        {
            return null;
        }
    }
}
