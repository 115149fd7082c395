using System.Net;
using Microsoft.AspNetCore.Http;
using Orchestrator.Dashboard;

namespace Orchestrator.Cli.Tests;

/// <summary>The Host and Origin names a dashboard on port 8080 answers to.</summary>
public class DashboardHostsTests
{
    private const int Port = 8080;

    [Theory]
    [InlineData("127.0.0.1:8080", true)]
    [InlineData("LOCALHOST:8080", true)]
    [InlineData("[::1]:8080", true)]
    [InlineData("evil.example:8080", false)]
    [InlineData("127.0.0.1:8081", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("dash.example.com", true)]
    [InlineData("dash.example.com:443", true)]
    [InlineData("dash.example.com:8443", false)]
    public void On_loopback_with_a_public_url_a_host_is_allowed_only_at_the_right_port(string host, bool allowed) =>
        Loopback().AllowsHost(new HostString(host), Port).Should().Be(allowed);

    [Theory]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("https://dash.example.com", true)]
    [InlineData("http://dash.example.com", false)]
    [InlineData("https://127.0.0.1:8080", false)]
    [InlineData("http://evil.example:8080", false)]
    [InlineData("null", false)]
    public void An_origin_is_allowed_only_with_its_scheme_and_port(string origin, bool allowed) =>
        Loopback().AllowsOrigin(origin, Port).Should().Be(allowed);

    [Fact]
    public void On_another_address_localhost_is_not_the_dashboard()
    {
        var hosts = DashboardHosts.For(IPAddress.Parse("10.1.2.3"), []);
        hosts.AllowsHost(new HostString("10.1.2.3:8080"), Port).Should().BeTrue();
        hosts.AllowsHost(new HostString("localhost:8080"), Port).Should().BeFalse();
        hosts.AllowsHost(new HostString(""), Port).Should().BeFalse();
    }

    private static DashboardHosts Loopback() => DashboardHosts.For(IPAddress.Loopback, [new Uri("https://dash.example.com")]);
}
