using System.CommandLine;
using System.Net;
using Orchestrator.Dashboard;
using Orchestrator.Domain;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Trials;
using Orchestrator.Catalogue;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator dashboard`: the store, the journals and the cluster in a browser, until Ctrl+C / SIGTERM.</summary>
public static class DashboardCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (default 8080; 0: any free port)", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host")
        {
            Description = "Address to listen on (default 127.0.0.1; any other needs a token: --token-file or $" + DashboardAccess.TokenVariable + ")",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = "File holding the token every request must carry (Authorization: Bearer, or ?token= once)" };
        var publicUrls = new Option<string[]>("--public-url")
        {
            Description = "An address browsers reach the dashboard at through a proxy or a port mapping (e.g. https://dash.example.com), " +
                          "repeatable; requests naming any other host than these and its own address are refused",
        };
        var behindTlsProxy = new Option<bool>("--behind-tls-proxy")
        {
            Description = "Browsers reach it through a TLS proxy, at an https --public-url: its cookies are Secure",
        };
        var store = CommonOptions.Store();
        var contacts = CommonOptions.Addresses("--contact", "Cluster nodes to ask (then the nodes the store's running trials are on)");
        var timeout = CommonOptions.Seconds("--timeout", 3, "Seconds a page waits for the cluster to answer");
        var keyFile = CommonOptions.KeyFile("signs Cancel and Resume");
        var command = new Command("dashboard", "A live dashboard in the browser: the cluster, the sweeps, each trial's learning curves; Cancel and Resume")
        {
            port, host, tokenFile, publicUrls, behindTlsProxy, store, contacts, timeout, keyFile,
        };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var hostText = result.GetValue(host)!;
            var address = hostText == "localhost" ? IPAddress.Loopback
                : IPAddress.TryParse(hostText, out var parsed) ? parsed
                : throw new InvalidInputException($"--host: '{hostText}' is not an IP address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)");
            var listenPort = result.GetValue(port);
            if (listenPort is < 0 or > 65535) throw new InvalidInputException($"--port: {listenPort} is invalid (0..65535)");
            var proxied = (result.GetValue(publicUrls) ?? []).Select(PublicUrl).ToList();
            var tlsProxy = result.GetValue(behindTlsProxy);
            if (tlsProxy && !proxied.Any(u => u.Scheme == Uri.UriSchemeHttps))
                throw new InvalidInputException("--behind-tls-proxy: give the proxy's https address with --public-url (e.g. https://dash.example.com)");
            var access = DashboardAccess.Resolve(address, hostText, result.GetValue(tokenFile), DashboardHosts.For(address, proxied), tlsProxy);
            var wait = CommonOptions.PositiveSeconds(result, timeout);
            var cluster = CommonOptions.ResolveAddresses(result, contacts);
            // Cancel and Resume are signed with the key, else (TLS on) with the dashboard's certificate if marked operator.
            var signer = (ICommandSigner?)CommonOptions.LoadKey(result, keyFile) ?? OperatorCertificate.FromEnvironment();
            await using var session = await StoreSession.OpenExistingAsync(result.GetValue(store)!, ct);
            // The cluster's answers come back to where the dashboard listens: loopback, or the interface it was told.
            var clientHost = IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "127.0.0.1" : address.ToString();
            await using var probe = new ClusterProbe(cluster, clientHost, wait, session.Store, signer);
            var data = new DashboardData(session.Store, session.Journal, session.Watch, probe, new SessionReports(session));
            await DashboardServer.ServeAsync(address, listenPort, data, access, ct);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>The root of the dashboard as a proxy serves it: its pages link to absolute paths, so no path of its own.
    /// The text is not echoed: it might hold a password.</summary>
    private static Uri PublicUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
        && url.UserInfo.Length == 0 && url.AbsolutePath == "/" && url.Query.Length == 0 && url.Fragment.Length == 0
            ? url
            : throw new InvalidInputException("--public-url: not the http(s) address of the dashboard's root, with no path, query or user " +
                                              "(e.g. https://dash.example.com)");

    /// <summary>The report `sweep report` writes by default, for the sweep pages' report links.</summary>
    private sealed class SessionReports(StoreSession session) : ISweepReports
    {
        public string FolderOf(string sweepId) => ReportCommand.DefaultFolder(session.Location, sweepId);

        public async Task WriteAsync(SweepRecord sweep, string folder, CancellationToken ct) =>
            await ReportCommand.WriteAsync(session.Store, session.Journal, TestOutputsReader.For(session.Location, session.Store), sweep, folder,
                png: false, ct);
    }
}
