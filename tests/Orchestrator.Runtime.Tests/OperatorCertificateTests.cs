using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

/// <summary>Commands signed with a TLS client certificate: only one of the cluster's CA marked OU=operator commands, and
/// only with its own key; a node without TLS takes none, a node without a control key takes no HMAC.</summary>
public sealed class OperatorCertificateTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow;
    private static readonly MemberCommand Down = new(MembershipVerb.Down, "127.0.0.1:4053");

    private ControlGate Gate(ControlKey? key = null) => new(key, () => T0, new OperatorTrust(certs.Settings("node1").Validator()));

    private SignedCommand SignedBy(string certificate, object? command = null) =>
        new OperatorCertificate(certs.Load(certificate)).Sign(command ?? Down, T0);

    [Fact]
    public void An_operator_certificate_commands_once_as_itself()
    {
        var gate = Gate();
        var signed = SignedBy("operator", new LaunchSweep(new SweepId("s1"), "name", [new TrialId("t1")]));
        signed.Caller.Should().Be("OU=operator, CN=operator");
        var (command, refused) = gate.Check(signed);
        refused.Should().BeNull();
        command.Should().BeOfType<LaunchSweep>().Which.TrialIds.Should().Equal(new TrialId("t1"));
        gate.Check(signed).Refused.Should().StartWith("replayed command");
    }

    [Fact]
    public void Read_only_unmarked_and_foreign_certificates_are_refused()
    {
        Gate().Check(SignedBy("reader")).Refused.Should().Be(
            "certificate OU=read-only, CN=reader is marked read-only, not operator (OU=operator): it may query the cluster, not change it");
        Gate().Check(SignedBy("node1")).Refused.Should().StartWith("certificate CN=node1 is not marked operator");
        Gate().Check(SignedBy("rogue-operator")).Refused.Should().Contain("does not chain to the cluster's CA");
    }

    [Fact]
    public void A_changed_field_or_a_borrowed_certificate_breaks_the_signature()
    {
        var signed = SignedBy("operator");
        Gate().Check(signed with { Body = signed.Body.Replace("4053", "4054", StringComparison.Ordinal) }).Refused.Should().StartWith("wrong signature");
        Gate().Check(signed with { IssuedAtUnixMs = signed.IssuedAtUnixMs + 1 }).Refused.Should().StartWith("wrong signature");
        // A read-only holder signs with its own key and presents the operator's certificate (public, it travels in every command).
        var borrowed = SignedBy("reader") with { Certificate = signed.Certificate, Caller = signed.Caller };
        Gate().Check(borrowed).Refused.Should().StartWith("wrong signature");
        Gate().Check(signed with { Caller = "CN=admin" }).Refused.Should().Contain("caller is not its certificate's subject");
        Gate().Check(signed with { Certificate = "not base64" }).Refused.Should().StartWith("malformed command");
        Gate().Check(signed).Refused.Should().BeNull("the original still passes");
    }

    [Fact]
    public void Each_kind_of_signature_needs_its_own_trust_on_the_node()
    {
        using var temp = new TempDir("operator-");
        var dir = temp.Path;
        var key = ControlKey.Load(ControlKeyFile.Create(dir))!;
        Gate().Check(key.Sign(Down, T0)).Refused.Should().Contain("no control key");
        Gate(key).Check(key.Sign(Down, T0)).Refused.Should().BeNull("a node may take both");
        Gate(key).Check(SignedBy("operator")).Refused.Should().BeNull();
        new ControlGate(key, () => T0).Check(SignedBy("operator")).Refused.Should().Contain("TLS is off");
    }
}
