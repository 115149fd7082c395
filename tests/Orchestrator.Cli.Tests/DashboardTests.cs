using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;
using Orchestrator.Catalogue;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Cli.Tests;

/// <summary>`orchestrator dashboard` as a user runs it: a real process on a free port, over a store a real `sweep run`
/// writes (on the sleeping test engine).</summary>
public class DashboardTests
{
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(40);
    private const string TokenVariable = "ORCHESTRATOR_DASHBOARD_TOKEN";

    /// <summary>A client as a script is: no cookies kept, no redirect followed, no time limit (the event streams stay open).</summary>
    private static HttpClient Script(Uri url) =>
        new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Starts the dashboard on a free port of loopback (or <paramref name="host"/>) and returns it with its URL.</summary>
    private static async Task<(RunningCli Process, Uri Url)> StartDashboardAsync(ClusterRig rig, string host = "127.0.0.1", params string[] more)
    {
        var dashboard = rig.Start("dashboard", ["dashboard", "--port", ClusterRig.FreePort().ToString(), "--host", host, .. more]);
        await rig.WaitForOutputAsync(dashboard, @"dashboard: http://\S+/", StartWait);
        var url = System.Text.RegularExpressions.Regex.Match(dashboard.Output, @"dashboard: (http://\S+/)").Groups[1].Value;
        // 0.0.0.0 listens on every interface; ask it on loopback.
        return (dashboard, new Uri(url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>A rig whose `sweep run` (one worker, on the sleeping test engine: <paramref name="engine"/>, or the rig's
    /// default) has a trial running.</summary>
    private static async Task<ClusterRig> RunningSweepAsync(string name, int seeds, string? engine = null)
    {
        var rig = ClusterRig.CreateSqlite();
        try
        {
            if (engine is not null) rig.Environment["ORCHESTRATOR_TEST_ENGINE"] = engine;
            await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec(name, seeds));
            rig.Start("sweep run", "sweep", "run", "spec.yaml", "--workers", "1");
            await rig.WaitUntilAsync("a trial running", async s => (await s.ListSweepsAsync()).SingleOrDefault() is { } sweep
                && (await s.ListTrialsAsync(sweep.Id)).Any(t => t.Status == TrialStatus.Running), StartWait);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>A running trial with at most 3 of its epochs done, as the dashboard reads its journal.</summary>
    private static async Task<string> EarlyRunningTrialAsync(ClusterRig rig, HttpClient http, ISweepCatalogue store, SweepId sweepId)
    {
        var deadline = DateTime.UtcNow + StartWait;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var t in (await store.ListTrialsAsync(sweepId)).Where(t => t.Status == TrialStatus.Running))
            {
                using var journal = JsonDocument.Parse(await http.GetStringAsync($"trials/{t.Id}/journal.json"));
                if (journal.RootElement.GetProperty("epochsDone").GetInt32() <= 3) return t.Id.Value;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"no trial early in its run\n{rig.Logs()}");
    }

    /// <summary>A rig over an empty store; with <paramref name="token"/>, the dashboard's token in its environment.</summary>
    private static async Task<ClusterRig> EmptyStoreAsync(string? token = null)
    {
        var rig = ClusterRig.CreateSqlite();
        if (token is not null) rig.Environment[TokenVariable] = token;
        await using (await StoreFactory.OpenAsync(rig.StoreUrl)) { }
        return rig;
    }

    [ChromiumFact]
    public async Task A_trial_page_gains_a_point_as_an_epoch_lands_without_a_reload_and_Cancel_on_the_sweep_page_stops_the_sweep()
    {
        await using var rig = await RunningSweepAsync("dash", seeds: 3, "sleep:2.5");
        var (dashboard, url) = await StartDashboardAsync(rig);
        using var http = new HttpClient { BaseAddress = url };
        await using var store = await rig.OpenStoreAsync();
        var sweepId = (await store.ListSweepsAsync()).Single().Id;

        // The browser first: on a loaded machine its start takes seconds, and the trial must still be running after it.
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.Browser, Headless = true, Args = ["--no-sandbox", "--disable-gpu"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 1000 } });
        var requests = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Request += (_, r) => requests.Enqueue(r.Url);
        var scriptErrors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.PageError += (_, e) => scriptErrors.Enqueue(e);

        // A trial with several epochs still to come (the test engine's trials stop at epoch 7), at least 7.5 s of them.
        var trialId = await EarlyRunningTrialAsync(rig, http, store, sweepId);
        var trialUrl = new Uri(url, $"trials/{trialId}").AbsoluteUri;
        await page.GotoAsync(trialUrl);
        await page.EvaluateAsync("() => { window.loadedOnce = 'yes'; }");
        // Loaded, and its event stream open: from here on the page asks for nothing.
        await page.WaitForFunctionAsync("() => window.dashboardStream && window.dashboardStream.readyState === EventSource.OPEN", null,
            new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 100 });
        var requestsAtLoad = requests.ToArray();
        var before = await page.EvaluateAsync<int>("() => document.querySelectorAll('#epochs tr').length");
        try
        {
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('#epochs tr').length > {before}", null,
                new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 200 });
        }
        catch (TimeoutException)
        {
            var facts = await page.TextContentAsync("#facts");
            throw new TimeoutException($"the page stayed at {before} epoch row(s); it says: {facts}\n{rig.Logs()}");
        }
        (await page.EvaluateAsync<string>("() => window.loadedOnce")).Should().Be("yes", "the new epoch arrives without a reload");
        page.Url.Should().Be(trialUrl);
        requests.ToArray().Should().Equal(requestsAtLoad, "the new epoch was pushed by the server: the page asked for nothing");
        var points = await page.EvaluateAsync<int>("() => Number(document.getElementById('curve').dataset.points)");
        var rows = await page.EvaluateAsync<int>("() => document.querySelectorAll('#epochs tr').length");
        points.Should().Be(rows, "the chart has a point per epoch in the table");
        (await page.EvaluateAsync<int>("() => document.querySelectorAll('#curve canvas').length")).Should().BeGreaterThan(0, "uPlot drew the chart");
        requests.Should().OnlyContain(r => r.StartsWith(url.AbsoluteUri, StringComparison.Ordinal), "the page fetches nothing from outside");
        requests.Should().Contain(new Uri(url, "assets/uPlot.iife.min.js").AbsoluteUri, "the charting library is served by the dashboard itself");
        scriptErrors.Should().BeEmpty();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-trial.png"), FullPage = true });

        await page.GotoAsync(new Uri(url, $"sweeps/{sweepId}").AbsoluteUri);
        // A double click: the first submits and disables the buttons, the second does nothing.
        await page.EvaluateAsync("() => { const b = document.getElementById('cancel'); b.click(); b.click(); }");
        await page.WaitForURLAsync("**notice=cancelled", new PageWaitForURLOptions { Timeout = 30_000 });
        (await page.TextContentAsync("#notice")).Should().StartWith("Cancelled");
        await rig.WaitUntilAsync("every trial ended, cancelled", async s =>
        {
            var trials = await s.ListTrialsAsync(sweepId);
            return trials.All(t => t.Status is TrialStatus.Cancelled or TrialStatus.Completed) && trials.Any(t => t.Status == TrialStatus.Cancelled);
        }, TimeSpan.FromSeconds(30));
        (await store.IsSweepCancelledAsync(sweepId)).Should().BeTrue();
        dashboard.Output.Should().NotContain("Exception");
    }

    [Fact]
    public async Task An_unknown_trial_or_sweep_is_a_404_page_of_one_sentence_not_a_stack_trace()
    {
        await using var rig = await EmptyStoreAsync();
        var (dashboard, url) = await StartDashboardAsync(rig);
        using var http = new HttpClient { BaseAddress = url };
        foreach (var (path, sentence) in new[] { ("trials/nope", "There is no trial 'nope' in this store."), ("sweeps/nope", "There is no sweep 'nope' in this store.") })
        {
            using var response = await http.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
            response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
            var body = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            body.Should().Contain($"<p>{sentence}</p>").And.NotContain("Exception").And.NotContain(" at ");
        }
        using var home = await http.GetAsync("");
        home.StatusCode.Should().Be(HttpStatusCode.OK);
        (await home.Content.ReadAsStringAsync()).Should().Contain("id=\"no-cluster\"").And.Contain("no sweep in this store yet");
        dashboard.Output.Should().NotContain("Exception");
    }

    [Fact]
    public async Task Without_a_cluster_Cancel_changes_nothing_and_says_so_and_a_post_from_another_site_is_refused()
    {
        await using var rig = ClusterRig.CreateSqlite();
        var planned = Orchestrator.Cli.Planning.SweepData.Plan(ClusterRig.Spec("idle", seeds: 2));
        await using (var store = await StoreFactory.OpenAsync(rig.StoreUrl))
            await Orchestrator.Runtime.Sweeps.SweepPlanner.RegisterAsync(store, planned, DateTimeOffset.UtcNow, CancellationToken.None);
        var (_, url) = await StartDashboardAsync(rig);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = url };
        var csrf = CsrfToken(await http.GetStringAsync($"sweeps/{planned.Id}"));

        using var cancel = await http.PostAsync($"sweeps/{planned.Id}/cancel", Form(csrf));
        cancel.StatusCode.Should().Be(HttpStatusCode.Redirect);
        cancel.Headers.Location!.OriginalString.Should().Be($"/sweeps/{planned.Id}?notice=no-cluster");
        var page = WebUtility.HtmlDecode(await http.GetStringAsync(cancel.Headers.Location.OriginalString));
        page.Should().Contain("No cluster answered, so nothing was changed").And.NotContain("CANCELLED").And.NotContain("id=\"report\"");
        (await http.GetAsync($"sweeps/{planned.Id}/report")).StatusCode.Should().Be(HttpStatusCode.Conflict, "its trials are still pending");

        using var forged = new HttpRequestMessage(HttpMethod.Post, $"sweeps/{planned.Id}/cancel");
        forged.Headers.Add("Origin", "http://elsewhere.example");
        forged.Content = Form(csrf);
        (await http.SendAsync(forged)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        await using var after = await StoreFactory.OpenAsync(rig.StoreUrl);
        (await after.IsSweepCancelledAsync(planned.Id)).Should().BeFalse();
    }

    [Fact]
    public async Task On_a_non_loopback_host_the_dashboard_refuses_to_start_without_a_token()
    {
        await using var rig = await EmptyStoreAsync();
        var result = await rig.RunAsync("dashboard", "--host", "0.0.0.0", "--port", ClusterRig.FreePort().ToString());
        result.ExitCode.Should().Be(2);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle().Which.Should().StartWith("error: --host: 0.0.0.0 is not a loopback address");
    }

    [Fact]
    public async Task With_a_token_a_request_without_it_is_401_and_with_it_200_and_the_token_is_never_logged()
    {
        await using var rig = await EmptyStoreAsync();
        const string token = "s3cret-dashboard-token";
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "token"), token + "\n");
        var dashboard = rig.Start("dashboard", "dashboard", "--port", ClusterRig.FreePort().ToString(), "--host", "0.0.0.0", "--token-file", "token");
        await rig.WaitForOutputAsync(dashboard, @"dashboard: http://\S+/", StartWait);
        var port = System.Text.RegularExpressions.Regex.Match(dashboard.Output, @":(\d+)/").Groups[1].Value;
        using var http = Script(new Uri($"http://127.0.0.1:{port}/"));

        (await http.GetAsync("")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await http.GetAsync("trials/nope")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "no page, not even a 404, without the token");
        using (var wrong = await http.GetAsync("?token=wrong"))
        {
            wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            wrong.Headers.Contains("Set-Cookie").Should().BeFalse();
            (await wrong.Content.ReadAsStringAsync()).TrimEnd('\n').Should().NotContain("\n").And.NotContain("wrong");
        }

        using var bearer = new HttpRequestMessage(HttpMethod.Get, "");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await http.SendAsync(bearer)).StatusCode.Should().Be(HttpStatusCode.OK);

        // The address bar and the history keep no token: the login answers with the same URL without it.
        using var once = await http.GetAsync($"trials/nope?part=live&token={token}");
        once.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        once.Headers.Location!.OriginalString.Should().Be("/trials/nope?part=live");
        var cookie = once.Headers.GetValues("Set-Cookie").Single();
        cookie.Should().Contain("httponly").And.Contain("samesite=strict").And.NotContain("secure");
        using var withCookie = new HttpRequestMessage(HttpMethod.Get, once.Headers.Location.OriginalString);
        withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
        (await http.SendAsync(withCookie)).StatusCode.Should().Be(HttpStatusCode.NotFound, "past the login, to the page itself");

        dashboard.Signal("TERM");
        await dashboard.Process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        dashboard.Process.ExitCode.Should().Be(0);
        dashboard.Output.Should().Contain("dashboard stopped").And.NotContain(token);
    }

    [Fact]
    public async Task Under_a_foreign_host_name_or_without_the_pages_csrf_token_a_request_is_403_and_Cancel_changes_nothing()
    {
        // 2 s epochs: the sweep still runs when Cancel is pressed, after the refused requests (at 0.7 s, on a box at load
        // 15, it had ended and no cluster answered).
        await using var rig = await RunningSweepAsync("rebind", seeds: 2, "sleep:2");
        // The Cancel asks the rig's seed port first (nothing there: the sweep run is on a port of its own), then the
        // node the store names: 10 s each by default, which a loaded box (CI, 2026-12-06: load 17) ran past.
        var (dashboard, url) = await StartDashboardAsync(rig, "127.0.0.1", "--timeout", "30");
        await using var store = await rig.OpenStoreAsync();
        var sweepId = (await store.ListSweepsAsync()).Single().Id;
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = url };

        // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1. Reading is the leak already.
        var foreign = $"evil.example:{url.Port}";
        using var read = new HttpRequestMessage(HttpMethod.Get, $"sweeps/{sweepId}");
        read.Headers.Host = foreign;
        using (var refused = await http.SendAsync(read))
        {
            refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            refused.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
            (await refused.Content.ReadAsStringAsync()).Should().NotContain(sweepId.Value);
        }
        foreach (var local in new[] { $"localhost:{url.Port}", $"[::1]:{url.Port}" })
        {
            using var named = new HttpRequestMessage(HttpMethod.Get, "");
            named.Headers.Host = local;
            (await http.SendAsync(named)).StatusCode.Should().Be(HttpStatusCode.OK, $"{local} is this loopback dashboard too");
        }

        var csrf = CsrfToken(await http.GetStringAsync($"sweeps/{sweepId}"));
        var cancel = $"sweeps/{sweepId}/cancel";
        using var rebound = new HttpRequestMessage(HttpMethod.Post, cancel) { Content = Form(csrf) };
        rebound.Headers.Host = foreign;
        rebound.Headers.Add("Origin", $"http://{foreign}");
        (await http.SendAsync(rebound)).StatusCode.Should().Be(HttpStatusCode.Forbidden, "even with a token read elsewhere");
        (await http.PostAsync(cancel, null)).StatusCode.Should().Be(HttpStatusCode.Forbidden, "no CSRF token");
        (await http.PostAsync(cancel, Form(csrf[..^2] + (csrf.EndsWith("AA", StringComparison.Ordinal) ? "BB" : "AA"))))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden, "a wrong CSRF token");
        using (var bare = new HttpClient { BaseAddress = url })
            (await bare.PostAsync(cancel, Form(csrf))).StatusCode.Should().Be(HttpStatusCode.Forbidden, "the token of another session");
        (await store.IsSweepCancelledAsync(sweepId)).Should().BeFalse();
        (await store.ListTrialsAsync(sweepId)).Should().NotContain(t => t.Status == TrialStatus.Cancelled);

        // The form as the page has it: the session's cookie and its token.
        using var pressed = await http.PostAsync(cancel, Form(csrf));
        pressed.StatusCode.Should().Be(HttpStatusCode.Redirect);
        pressed.Headers.Location!.OriginalString.Should().Be($"/sweeps/{sweepId}?notice=cancelled");
        await rig.WaitUntilAsync("the sweep cancelled", s => s.IsSweepCancelledAsync(sweepId), TimeSpan.FromSeconds(30));
        dashboard.Output.Should().NotContain("Exception");
    }

    [Fact]
    public async Task Behind_a_tls_proxy_its_public_name_is_answered_and_the_cookie_is_secure()
    {
        const string token = "proxied-dashboard-token";
        await using var rig = await EmptyStoreAsync(token);
        var (_, url) = await StartDashboardAsync(rig, "127.0.0.1", "--public-url", "https://dash.example.com", "--behind-tls-proxy");
        using var http = Script(url);

        using var login = new HttpRequestMessage(HttpMethod.Get, $"?token={token}");
        login.Headers.Host = "dash.example.com";
        using var once = await http.SendAsync(login);
        once.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        once.Headers.Location!.OriginalString.Should().Be("/");
        once.Headers.GetValues("Set-Cookie").Single().Should().Contain("secure").And.Contain("httponly").And.Contain("samesite=strict");

        using var other = new HttpRequestMessage(HttpMethod.Get, $"?token={token}");
        other.Headers.Host = "dash.example.org";
        (await http.SendAsync(other)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_malformed_public_url_or_a_tls_proxy_without_an_https_one_is_one_line_and_exit_2()
    {
        await using var rig = await EmptyStoreAsync();
        foreach (var (args, error) in new[]
                 {
                     (new[] { "--public-url", "dash.example.com" }, "error: --public-url: "),
                     (["--public-url", "ftp://dash.example.com"], "error: --public-url: "),
                     (["--public-url", "https://dash.example.com/dashboard?x=1"], "error: --public-url: "),
                     (["--behind-tls-proxy"], "error: --behind-tls-proxy: "),
                     (["--behind-tls-proxy", "--public-url", "http://dash.example.com"], "error: --behind-tls-proxy: "),
                 })
        {
            var result = await rig.RunAsync(["dashboard", "--port", ClusterRig.FreePort().ToString(), .. args]);
            result.ExitCode.Should().Be(2, string.Join(' ', args));
            result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle().Which.Should().StartWith(error);
        }
    }

    [Fact]
    public async Task The_event_streams_push_a_trials_new_epoch_and_the_sweeps_progress_over_one_open_request()
    {
        await using var rig = await RunningSweepAsync("push", seeds: 3, "sleep:1.5");
        var (dashboard, url) = await StartDashboardAsync(rig);
        using var http = new HttpClient { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };
        await using var store = await rig.OpenStoreAsync();
        var sweepId = (await store.ListSweepsAsync()).Single().Id;
        var trialId = await EarlyRunningTrialAsync(rig, http, store, sweepId);

        await using var trial = await EventStream.OpenAsync(http, $"trials/{trialId}/events");
        await using var sweep = await EventStream.OpenAsync(http, $"sweeps/{sweepId}/events");
        int EpochsDone(string data)
        {
            using var json = JsonDocument.Parse(data);
            return json.RootElement.GetProperty("epochsDone").GetInt32();
        }
        var first = EpochsDone(await trial.NextAsync());
        var table = await sweep.NextAsync();
        table.Should().Contain("id=\"trials\"").And.Contain(trialId);

        // The trial's next epoch, journaled by the sweep run, comes down the same response; nothing asked for it.
        string next;
        do next = await trial.NextAsync(); while (EpochsDone(next) <= first);
        (await sweep.NextAsync()).Should().NotBe(table, "the sweep's table changed with the epoch");
        dashboard.Output.Should().NotContain("Exception");
    }

    [Fact]
    public async Task An_event_stream_needs_the_token_and_an_allowed_host_like_the_pages_and_ends_when_the_dashboard_stops()
    {
        const string token = "stream-dashboard-token";
        await using var rig = await EmptyStoreAsync(token);
        var (dashboard, url) = await StartDashboardAsync(rig);
        using var http = Script(url);

        foreach (var path in new[] { "events", "trials/nope/events", "sweeps/nope/events" })
        {
            using var anonymous = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized, path);
            anonymous.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");

            using var rebound = new HttpRequestMessage(HttpMethod.Get, path);
            rebound.Headers.Host = $"evil.example:{url.Port}";
            rebound.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var foreign = await http.SendAsync(rebound, HttpCompletionOption.ResponseHeadersRead);
            foreign.StatusCode.Should().Be(HttpStatusCode.Forbidden, path);
            (await foreign.Content.ReadAsStringAsync()).Should().NotContain("data:");
        }
        using (var unknown = new HttpRequestMessage(HttpMethod.Get, "trials/nope/events"))
        {
            unknown.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            (await http.SendAsync(unknown)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        // With the token: the home page's live part, then the stream stays open until the dashboard stops.
        await using var home = await EventStream.OpenAsync(http, "events", token);
        (await home.NextAsync()).Should().Contain("no sweep in this store yet");
        dashboard.Signal("TERM");
        await home.EndAsync(TimeSpan.FromSeconds(15));
        await dashboard.Process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        dashboard.Process.ExitCode.Should().Be(0);
        dashboard.Output.Should().Contain("dashboard stopped").And.NotContain("Exception");
    }

    /// <summary>A server-sent event stream read as a browser's EventSource reads it: each event's data lines joined.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(30);
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private EventStream(HttpResponseMessage response, StreamReader reader) => (_response, _reader) = (response, reader);

        public static async Task<EventStream> OpenAsync(HttpClient http, string path, string? token = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.StatusCode.Should().Be(HttpStatusCode.OK, path);
            response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
            return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        /// <summary>The next event's data (comments and the retry field skipped), within 30 s.</summary>
        public async Task<string> NextAsync()
        {
            using var limit = new CancellationTokenSource(EventWait);
            var data = new List<string>();
            while (true)
            {
                var line = await _reader.ReadLineAsync(limit.Token)
                    ?? throw new EndOfStreamException("the event stream ended");
                if (line.Length == 0 && data.Count > 0) return string.Join('\n', data);
                if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Add(line["data: ".Length..]);
            }
        }

        /// <summary>Reads until the server ends the stream, within <paramref name="wait"/>.</summary>
        public async Task EndAsync(TimeSpan wait)
        {
            using var limit = new CancellationTokenSource(wait);
            while (await _reader.ReadLineAsync(limit.Token) is not null) { }
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The CSRF token of a page's forms, as a browser submits it.</summary>
    private static string CsrfToken(string page) =>
        System.Text.RegularExpressions.Regex.Match(page, "name=\"csrf\" value=\"([^\"]+)\"") is { Success: true } m
            ? m.Groups[1].Value
            : throw new InvalidOperationException($"no CSRF token in the page:\n{page}");

    private static FormUrlEncodedContent Form(string csrf) => new([new KeyValuePair<string, string>("csrf", csrf)]);
}
