using Orchestrator.Catalogue;

namespace Orchestrator.Dashboard;

/// <summary>A sweep's report as `sweep report` writes it, which the sweep page links to: the dashboard decides when it
/// is out of date, the CLI (which builds reports) says where it is kept and writes it.</summary>
public interface ISweepReports
{
    /// <summary>The folder that holds the report of <paramref name="sweepId"/> (report.html and its figures).</summary>
    string FolderOf(string sweepId);

    /// <summary>Writes the report of <paramref name="sweep"/> into <paramref name="folder"/>, replacing what is there.</summary>
    Task WriteAsync(SweepRecord sweep, string folder, CancellationToken ct);
}
