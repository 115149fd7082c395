using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Catalogue;

namespace Orchestrator.Dashboard;

/// <summary>The dashboard's HTML, rendered on the server; the live parts are kept up to date by the page's own inline
/// script from the server's pushed events (<see cref="DashboardStream"/>).</summary>
public static class DashboardPages
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private const string Style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#222}
        a{color:#1558b0}table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .7em;border-bottom:1px solid #ddd;text-align:left}
        th{background:#f3f3f3}.note{color:#8a5300}.muted{color:#777}nav{margin-bottom:1em}
        button{padding:.3em 1em;margin-right:.5em}#curve{margin:.5em 0}
        """;

    public static string Layout(string title, string body, string? script = null, string head = "") => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>{{H(title)}} - orchestrator</title><style>{{Style}}</style>{{head}}</head>
        <body><nav><a href="/">orchestrator dashboard</a></nav><h1>{{H(title)}}</h1>
        {{body}}
        {{(script is null ? "" : $"<script>{script}</script>")}}
        </body></html>
        """;

    /// <summary>A page whose #live part the server pushes again as it changes (its URL + /events).</summary>
    public static string LivePage(string title, string before, string live) =>
        Layout(title, $"{before}<div id=\"live\">{live}</div>", Script("live.js"));

    public static string Message(string title, string sentence) => Layout(title, $"<p>{H(sentence)}</p>");

    public static string Home(ClusterAnswer<ClusterView> cluster, IReadOnlyList<SweepPage> sweeps) =>
        ClusterSection(cluster) + SweepsSection(sweeps);

    private static string ClusterSection(ClusterAnswer<ClusterView> cluster)
    {
        if (cluster.Answer is not { } view)
            return $"<h2>Cluster</h2><p class=\"note\" id=\"no-cluster\">no cluster answered at {H(string.Join(", ", cluster.Contacts))}: " +
                   "the sweeps below are shown from the store and the journal</p>";
        var rows = new StringBuilder();
        foreach (var m in view.Members)
            rows.Append(Row(SeedAddress.HostPortOf(m.Address), string.Join(", ", m.Roles), m.Status + (m.Draining > 0 ? " (draining)" : ""),
                m.Reachable ? "yes" : "NO", m.Busy.ToString(Invariant), (m.Slots - m.Busy).ToString(Invariant), m.AppVersion ?? "?"));
        var unreachable = view.Members.Where(m => !m.Reachable).Select(m => SeedAddress.HostPortOf(m.Address)).ToList();
        return $"""
            <h2>Cluster</h2>
            <p>coordinator on {H(view.Coordinator is null ? "no reachable node" : SeedAddress.HostPortOf(view.Coordinator))}: {view.Pending} pending,
            {view.Running} running trial(s); {view.Members.Count} member(s), unreachable: {H(unreachable.Count == 0 ? "none" : string.Join(", ", unreachable))}</p>
            <table id="members"><tr><th>member</th><th>roles</th><th>status</th><th>reachable</th><th>busy slots</th><th>free slots</th><th>version</th></tr>{rows}</table>
            """;
    }

    private static string SweepsSection(IReadOnlyList<SweepPage> sweeps)
    {
        if (sweeps.Count == 0) return "<h2>Sweeps</h2><p>no sweep in this store yet</p>";
        var rows = new StringBuilder();
        foreach (var s in sweeps)
            rows.Append("<tr>").Append(Cell($"<a href=\"/sweeps/{Url(s.Sweep.Id.Value)}\">{H(s.Sweep.Name)}</a>"))
                .Append(Row(s.Sweep.Id.Value, s.Cancelled ? "cancelled" : s.Ended ? "ended" : "open", s.Progress.DescribeCounts(),
                    $"{s.Progress.EpochsDone} done, at most {s.Progress.EpochsLeftAtMost} left", s.Progress.DescribeEta())[4..]);
        return $"<h2>Sweeps</h2><table id=\"sweeps\"><tr><th>sweep</th><th>id</th><th>state</th><th>trials</th><th>epochs</th><th>time left</th></tr>{rows}</table>";
    }

    /// <summary>The sweep page's controls: outside the live part, so that a refresh does not undo their disabled state.</summary>
    public static string SweepControls(SweepPage sweep, string? notice, string csrf) => $"""
        <p>{H(sweep.Sweep.Id.Value)}, created {H(sweep.Sweep.CreatedAt.ToString("u", Invariant))}</p>
        {(notice is null ? "" : $"<p class=\"note\" id=\"notice\">{H(notice)}</p>")}
        {Control(sweep, "cancel", "Cancel", csrf)}
        {Control(sweep, "resume", "Resume", csrf)}
        """;

    /// <summary>A button that posts to the sweep's <paramref name="action"/>, with the session's CSRF token.</summary>
    private static string Control(SweepPage sweep, string action, string label, string csrf) =>
        $"<form method=\"post\" action=\"/sweeps/{Url(sweep.Sweep.Id.Value)}/{action}\" class=\"control\" style=\"display:inline\">" +
        $"<input type=\"hidden\" name=\"{CsrfTokens.Field}\" value=\"{H(csrf)}\"><button id=\"{action}\">{label}</button></form>";

    public static string SweepLive(SweepPage sweep)
    {
        var rows = new StringBuilder();
        foreach (var t in sweep.Trials)
        {
            var s = t.State;
            rows.Append("<tr>").Append(Cell($"<a href=\"/trials/{Url(t.Record.Id.Value)}\">{H(t.Record.Id.Value)}</a>"))
                .Append(Row(t.Spec.Backbone, t.Spec.Strategy.ToSpecString(), SweepProgress.StatusOf(t), $"{s.EpochsDone}/{t.Spec.MaxEpochs}",
                    $"{s.UnfrozenGroups} of {s.Groups}", $"{s.PatienceCounter}/{s.Patience}", Loss(s.BestEpoch, s.BestValLoss))[4..]);
        }
        var report = sweep.Ended ? $"<p><a id=\"report\" href=\"/sweeps/{Url(sweep.Sweep.Id.Value)}/report\">the sweep's report</a></p>" : "";
        return $"""
            <p id="progress">{(sweep.Cancelled ? "<b>CANCELLED</b>; " : "")}{H(sweep.Progress.DescribeCounts())}; {sweep.Progress.EpochsDone} epoch(s) done; {H(sweep.Progress.DescribeEta())}</p>
            {report}
            <table id="trials"><tr><th>trial</th><th>backbone</th><th>strategy</th><th>state</th><th>epoch</th><th>m of L</th><th>patience</th><th>best val loss</th></tr>{rows}</table>
            """;
    }

    public static string Trial(TrialPage trial, string json)
    {
        var v = trial.View;
        return Layout($"trial {v.Record.Id}", $"""
            <p>sweep <a href="/sweeps/{Url(v.Record.SweepId.Value)}">{H(v.Record.SweepId.Value)}</a>: {H(v.Spec.Backbone)}/{H(v.Spec.Strategy.ToSpecString())}, seed {v.Spec.Seed}</p>
            <p id="facts"></p>
            <div id="curve" role="img" aria-label="train and validation loss and validation accuracy per epoch"></div>
            <h2>Epochs</h2>
            <table><thead><tr><th>epoch</th><th>train loss</th><th>val loss</th><th>val accuracy</th><th>m of L</th><th>lr</th><th>patience</th><th>seconds</th></tr></thead><tbody id="epochs"></tbody></table>
            <h2>Events</h2>
            <table><thead><tr><th>seq</th><th>attempt</th><th>event</th><th>details</th></tr></thead><tbody id="events"></tbody></table>
            <script type="application/json" id="journal">{json}</script>
            <script src="{DashboardAssets.ChartScript}"></script>
            """, Script("trial.js"), $"<link rel=\"stylesheet\" href=\"{DashboardAssets.ChartStyle}\">");
    }

    /// <summary>One of the dashboard's own scripts, inline (embedded resources; the pages fetch nothing but the dashboard's
    /// own URLs).</summary>
    private static string Script(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"dashboard/{name}")
            ?? throw new InvalidOperationException($"the dashboard script {name} is not embedded");
        return new StreamReader(stream).ReadToEnd();
    }

    private static string Loss(int bestEpoch, double loss) => bestEpoch > 0 ? $"{loss.ToString("F4", Invariant)} (epoch {bestEpoch})" : "-";

    private static string Row(params string[] cells) => "<tr>" + string.Concat(cells.Select(c => Cell(H(c)))) + "</tr>";

    private static string Cell(string html) => $"<td>{html}</td>";

    private static string H(string text) => WebUtility.HtmlEncode(text);

    private static string Url(string segment) => Uri.EscapeDataString(segment);
}
