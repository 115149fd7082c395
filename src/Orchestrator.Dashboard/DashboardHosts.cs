using System.Net;
using System.Net.NetworkInformation;
using Microsoft.AspNetCore.Http;

namespace Orchestrator.Dashboard;

/// <summary>
/// The names the dashboard answers to: its own address at its port (and, on loopback or every interface, localhost,
/// 127.0.0.1 and [::1]), and the --public-url addresses a proxy serves it at. A page of another site whose name was
/// rebound to this address (DNS rebinding) sends its own name as Host and Origin, and is refused.
/// </summary>
public sealed class DashboardHosts
{
    private readonly IReadOnlyList<IPAddress> _addresses;
    private readonly bool _localhost;
    private readonly IReadOnlyList<Uri> _public;

    private DashboardHosts(IReadOnlyList<IPAddress> addresses, IReadOnlyList<Uri> publicUrls)
    {
        _addresses = addresses;
        _localhost = addresses.Any(IPAddress.IsLoopback);
        _public = publicUrls;
    }

    public static DashboardHosts For(IPAddress bound, IReadOnlyList<Uri> publicUrls)
    {
        ArgumentNullException.ThrowIfNull(bound);
        IEnumerable<IPAddress> addresses = [bound];
        if (IPAddress.IsLoopback(bound)) addresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];
        else if (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any))
            addresses = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address).Append(IPAddress.Loopback).Append(IPAddress.IPv6Loopback);
        return new DashboardHosts(addresses.ToList(), publicUrls);
    }

    /// <summary>The request's Host, on the connection's own port (<paramref name="port"/>).</summary>
    public bool AllowsHost(HostString host, int port) => host.HasValue && Allows(host.Host, host.Port, scheme: null, port);

    /// <summary>A browser's Origin header (scheme://name[:port]); "null" and anything unparsable are refused.</summary>
    public bool AllowsOrigin(string origin, int port) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var from) && Allows(from.Host, from.Port, from.Scheme, port);

    /// <summary>A name, its port and scheme (null: not given, as in a Host header) against the allowed ones;
    /// <paramref name="port"/> is the one the dashboard listens on, with plain HTTP.</summary>
    private bool Allows(string name, int? givenPort, string? scheme, int port)
    {
        var own = (givenPort ?? 80) == port && (scheme ?? "http") == "http"
            && (IPAddress.TryParse(name.Trim('[', ']'), out var address)
                ? _addresses.Contains(address)
                : _localhost && string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase));
        return own || _public.Any(u => string.Equals(u.Host, name, StringComparison.OrdinalIgnoreCase)
                                       && (givenPort ?? u.Port) == u.Port && (scheme ?? u.Scheme) == u.Scheme);
    }
}
