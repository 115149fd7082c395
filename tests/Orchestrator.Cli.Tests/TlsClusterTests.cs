using System.Text.Json;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// Mutual TLS on the cluster port with real processes: a coordinator and a worker with certificates of the cluster's
/// CA (made with openssl) run a sweep, the CLI's client presenting one too; a worker with a foreign CA's certificate
/// never joins, and a CLI with a foreign certificate or none gets no answer (exit 3).
/// </summary>
[Collection("cluster processes")]
public sealed class TlsClusterTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private readonly TlsCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    /// <summary>The processes started from now on present <paramref name="certificate"/> and trust <paramref name="ca"/>
    /// (an intruder trusts its own CA: a node refuses to start with a certificate its own CA did not sign).</summary>
    private void Present(ClusterRig rig, string? certificate, string ca = "ca")
    {
        foreach (var variable in new[] { RemoteTlsSettings.CertificateVariable, RemoteTlsSettings.PasswordFileVariable, RemoteTlsSettings.CaVariable })
            rig.Environment.Remove(variable);
        if (certificate is null) return;
        rig.Environment[RemoteTlsSettings.CertificateVariable] = _certs.Pfx(certificate);
        rig.Environment[RemoteTlsSettings.PasswordFileVariable] = _certs.PasswordFile;
        rig.Environment[RemoteTlsSettings.CaVariable] = Path.Combine(_certs.Dir, ca + ".pem");
    }

    [PostgresFact]
    public async Task Only_nodes_and_clients_with_a_certificate_of_the_cluster_s_ca_join_or_get_an_answer()
    {
        await using var rig = await ClusterRig.CreateAsync();
        Present(rig, "node1");
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on akka.ssl.tcp://.*: recovered", Long);
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec("tls", 1));
        var launch = await rig.RunAsync("sweep", "launch", "spec.yaml");
        launch.ExitCode.Should().Be(0, rig.Logs());

        Present(rig, "intruder", "foreign-ca");
        var intruder = rig.Worker("intruder");
        Present(rig, "node2");
        var worker = rig.Worker("worker");
        await rig.WaitUntilAsync("the sweep completed on the worker with the cluster's certificate", ClusterRig.AllCompletedAsync, Long);

        Present(rig, "node1");
        using (var show = JsonDocument.Parse((await rig.RunAsync("cluster", "show", "--json")).Stdout))
        {
            var members = show.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("roles")[0].GetString()).ToList();
            members.Should().BeEquivalentTo(["coordinator", "worker"], "the intruder never joined: " + rig.Logs());
        }
        intruder.Output.Should().Contain("joining");
        // Akka's refusals of its handshakes are logged ("error: ... [details: LOG]"); the command itself failed on nothing.
        intruder.Output.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal) && !l.Contains("[details: ", StringComparison.Ordinal))
            .Should().BeEmpty("it tried, with a certificate it accepts itself");
        intruder.Output.Should().NotContain(" is up", "a node with a foreign CA's certificate cannot join");
        intruder.Output.Should().NotContain("started", "it got no trial");
        worker.Output.Should().Contain("completed: test accuracy");

        Present(rig, "intruder", "foreign-ca");
        var foreign = await rig.RunAsync("cluster", "show", "--timeout", "3");
        foreign.ExitCode.Should().Be(3, foreign.Stdout);
        foreign.Stdout.Should().Contain("no answer from the cluster");
        Present(rig, null);
        var plain = await rig.RunAsync("cluster", "show", "--timeout", "3");
        plain.ExitCode.Should().Be(3, plain.Stdout);
    }

    /// <summary>The CLI needs no node certificate and no shared key: a client certificate of the cluster's CA marked
    /// OU=operator signs commands, one marked read-only (or a node's, unmarked) only queries.</summary>
    [Fact]
    public async Task An_operator_certificate_commands_a_read_only_one_only_queries()
    {
        await using var rig = ClusterRig.CreateSqlite();
        rig.Environment.Remove(ControlKey.FileVariable); // no shared key anywhere: certificates only
        Present(rig, "node1");
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on akka.ssl.tcp://.*: recovered", Long);
        // The node prints its control line once it is up, which may be just after its coordinator has recovered.
        await rig.WaitForOutputAsync(coordinator, "control: .*signed with an operator certificate of the cluster's CA", Long);
        Present(rig, "node2");
        var worker = rig.Worker("worker");
        await rig.WaitForOutputAsync(worker, " is up", Long);
        var address = System.Text.RegularExpressions.Regex.Match(worker.Output, @"node (akka\.ssl\.tcp://\S+) is up").Groups[1].Value;

        Present(rig, "reader");
        (await rig.MemberCountAsync()).Should().Be(2, "queries are open to a read-only certificate");
        var refused = await rig.RunAsync("cluster", "down", address);
        refused.ExitCode.Should().Be(2, refused.Stdout);
        refused.Stdout.Trim().Split('\n').Should().ContainSingle().Which.Should().Be(
            "error: the cluster refused the command: certificate OU=read-only, CN=reader is marked read-only, not operator (OU=operator): it may query the cluster, not change it");
        Present(rig, "node2");
        (await rig.RunAsync("cluster", "down", address)).Stdout.Should().Contain("CN=node2 is not marked operator", "a node's certificate does not command either");
        await Task.Delay(2000);
        (await rig.MemberCountAsync()).Should().Be(2, "a refused down changes nothing");
        worker.Process.HasExited.Should().BeFalse();

        Present(rig, "operator");
        var down = await rig.RunAsync("cluster", "down", address);
        down.ExitCode.Should().Be(0, down.Stdout + rig.Logs());
        using (var exit = new CancellationTokenSource(Long))
            await worker.Process.WaitForExitAsync(exit.Token);
        var log = await rig.RunAsync("audit", "log");
        log.Stdout.Should().Contain("refused MemberCommand").And.Contain("accepted MemberCommand").And.Contain("OU=operator, CN=operator");
    }
}
