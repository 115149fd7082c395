using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using Orchestrator.Domain;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

public class RemoteTlsTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    private const string Name = "orchestrator";

    private static Config NodeConfig() => ConfigurationFactory.ParseString("""
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          actor.provider = cluster
          remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
          remote.retry-gate-closed-for = 1s
          coordinated-shutdown.exit-clr = off
          coordinated-shutdown.run-by-clr-shutdown-hook = off
        }
        """);

    private ActorSystem TlsNode(string certificate) => ActorSystem.Create(Name, certs.Settings(certificate).Setup(NodeConfig()));

    // ---- in-process clusters ----

    [Fact]
    public async Task Two_nodes_with_certificates_from_the_cluster_CA_form_a_cluster_and_exchange_messages()
    {
        var first = TlsNode("node1");
        var second = TlsNode("node2");
        try
        {
            var address = await StartFirst(first);
            address.Protocol.Should().Be("akka.ssl.tcp");
            var inbox = Inbox.On(first);

            Cluster.Get(second).Join(address);
            await Eventually(() => UpCount(first) == 2 && UpCount(second) == 2, TimeSpan.FromSeconds(15));

            second.ActorSelection(Inbox.Path(address)).Tell("over TLS");
            (await inbox.Next(TimeSpan.FromSeconds(5))).Should().Be("over TLS");
        }
        finally
        {
            await Task.WhenAll(second.Terminate(), first.Terminate());
        }
    }

    [Fact]
    public async Task A_node_with_a_certificate_from_another_CA_or_without_TLS_can_neither_join_nor_send()
    {
        var first = TlsNode("node1");
        // The intruder presents its own CA's certificate and trusts any server, so only the cluster node's check stands in its way.
        var intruder = ActorSystem.Create(Name, BootstrapSetup.Create()
            .WithConfig(certs.Settings("intruder").Hocon().WithFallback(NodeConfig()))
            .And(new DotNettySslSetup(certs.Load("intruder"), suppressValidation: true, requireMutualAuthentication: true)));
        var plain = ActorSystem.Create(Name, NodeConfig());
        try
        {
            var address = await StartFirst(first);
            var warnings = Warnings.On(first);
            var inbox = Inbox.On(first);
            // The plain node cannot even name an akka.ssl.tcp address; it speaks plain TCP to the same port.
            var plainAddress = new Address("akka.tcp", address.System, address.Host, address.Port);

            Cluster.Get(intruder).Join(address);
            Cluster.Get(plain).Join(plainAddress);
            var deadline = Stopwatch.StartNew();
            var sentAgain = false;
            intruder.ActorSelection(Inbox.Path(address)).Tell("from the intruder");
            plain.ActorSelection(Inbox.Path(plainAddress)).Tell("in the clear");
            while (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                Cluster.Get(first).State.Members.Should().ContainSingle("only the first node may be a member");
                if (!sentAgain && deadline.Elapsed > TimeSpan.FromSeconds(5))
                {
                    // Once more, after the gate on the failed association has opened again.
                    intruder.ActorSelection(Inbox.Path(address)).Tell("from the intruder");
                    plain.ActorSelection(Inbox.Path(plainAddress)).Tell("in the clear");
                    sentAgain = true;
                }
                await Task.Delay(250);
            }

            inbox.Received.Should().BeEmpty();
            UpCount(intruder).Should().Be(0);
            UpCount(plain).Should().Be(0);
            warnings.Messages.Should().Contain(m => m.Contains("TLS: refused", StringComparison.Ordinal) && m.Contains("CN=intruder", StringComparison.Ordinal)
                && m.Contains("does not chain to the cluster's CA", StringComparison.Ordinal));
        }
        finally
        {
            await Task.WhenAll(plain.Terminate(), intruder.Terminate(), first.Terminate());
        }
    }

    private static async Task<Address> StartFirst(ActorSystem first)
    {
        var address = Cluster.Get(first).SelfAddress;
        Cluster.Get(first).Join(address);
        await Eventually(() => UpCount(first) == 1, TimeSpan.FromSeconds(10));
        return address;
    }

    private static int UpCount(ActorSystem system) => Cluster.Get(system).State.Members.Count(m => m.Status == MemberStatus.Up);

    private static async Task Eventually(Func<bool> condition, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            clock.Elapsed.Should().BeLessThan(within, "the condition should hold by then");
            await Task.Delay(100);
        }
    }

    /// <summary>Keeps what an actor at /user/inbox receives.</summary>
    private sealed class Inbox
    {
        private readonly ConcurrentQueue<object> _received = new();
        private readonly SemaphoreSlim _arrived = new(0);

        public static Inbox On(ActorSystem system)
        {
            var inbox = new Inbox();
            Action<object> add = inbox.Add;
            system.ActorOf(Props.Create(() => new Collector<object>(add)), "inbox");
            return inbox;
        }

        public IReadOnlyCollection<object> Received => _received;

        public static ActorPath Path(Address address) => new RootActorPath(address) / "user" / "inbox";

        public async Task<object?> Next(TimeSpan within) =>
            await _arrived.WaitAsync(within) && _received.TryDequeue(out var message) ? message : null;

        private void Add(object message)
        {
            _received.Enqueue(message);
            _arrived.Release();
        }
    }

    /// <summary>The warnings a system logs, as text.</summary>
    private sealed class Warnings
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public static Warnings On(ActorSystem system)
        {
            var warnings = new Warnings();
            Action<Warning> add = w => warnings._messages.Enqueue(w.Message.ToString() ?? "");
            var actor = system.ActorOf(Props.Create(() => new Collector<Warning>(add)));
            system.EventStream.Subscribe(actor, typeof(Warning));
            return warnings;
        }

        public IReadOnlyCollection<string> Messages => _messages;
    }

    private sealed class Collector<T> : ReceiveActor
    {
        public Collector(Action<T> add) => Receive<T>(add);
    }

    // ---- settings from the environment ----

    private Func<string, string?> Env(params (string Name, string Value)[] values)
    {
        var map = values.ToDictionary(v => v.Name, v => v.Value);
        return name => map.GetValueOrDefault(name);
    }

    [Fact]
    public void TLS_is_off_when_no_certificate_is_named() =>
        RemoteTlsSettings.FromEnvironment(Env((RemoteTlsSettings.CaVariable, certs.CaPem))).Should().BeNull();

    [Fact]
    public void Settings_come_from_the_environment_with_the_password_from_a_file_and_never_print_it()
    {
        var passwordFile = Path.Combine(certs.Dir, "password.txt");
        File.WriteAllText(passwordFile, TlsCertificates.PfxPassword + "\n");
        using var node2 = certs.Load("node2");
        var pin = node2.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant();

        var settings = RemoteTlsSettings.FromEnvironment(Env(
            (RemoteTlsSettings.CertificateVariable, certs.Pfx("node1")),
            (RemoteTlsSettings.PasswordFileVariable, passwordFile),
            (RemoteTlsSettings.CaVariable, certs.CaPem),
            (RemoteTlsSettings.PinnedVariable, $" {pin} , {node2.Thumbprint}")));

        settings.Should().NotBeNull();
        settings!.Password.Should().Be(TlsCertificates.PfxPassword);
        settings.PinnedThumbprints.Should().Equal(pin.ToUpperInvariant(), node2.Thumbprint);
        settings.ToString().Should().NotContain(TlsCertificates.PfxPassword);
        settings.Hocon().ToString().Should().NotContain(TlsCertificates.PfxPassword);
        var tcp = settings.Hocon().GetConfig("akka.remote.dot-netty.tcp");
        (tcp.GetBoolean("enable-ssl"), tcp.GetBoolean("ssl.require-mutual-authentication"), tcp.GetBoolean("ssl.suppress-validation"))
            .Should().Be((true, true, false));
    }

    [Fact]
    public void A_wrong_password_is_one_line_that_does_not_repeat_it()
    {
        const string wrong = "not-the-Password-9";
        var act = () => RemoteTlsSettings.FromEnvironment(Env(
            (RemoteTlsSettings.CertificateVariable, certs.Pfx("node1")),
            (RemoteTlsSettings.PasswordVariable, wrong),
            (RemoteTlsSettings.CaVariable, certs.CaPem)));

        var message = act.Should().Throw<InvalidInputException>().Which.Message;
        message.Should().Contain("ORCHESTRATOR_TLS_CERT").And.Contain("wrong password").And.NotContain(wrong).And.NotContain("\n");
    }

    [Fact]
    public void Missing_files_and_missing_trust_are_one_clear_line_each()
    {
        var pfx = (RemoteTlsSettings.CertificateVariable, certs.Pfx("node1"));
        var password = (RemoteTlsSettings.PasswordVariable, TlsCertificates.PfxPassword);
        var ca = (RemoteTlsSettings.CaVariable, certs.CaPem);
        var missing = Path.Combine(certs.Dir, "missing");

        void Fails(Func<string, string?> env, params string[] words)
        {
            var message = FluentActions.Invoking(() => RemoteTlsSettings.FromEnvironment(env)).Should().Throw<InvalidInputException>().Which.Message;
            message.Should().NotContain("\n").And.NotContain(TlsCertificates.PfxPassword);
            foreach (var word in words)
                message.Should().Contain(word);
        }

        Fails(Env((RemoteTlsSettings.CertificateVariable, missing + ".pfx"), password, ca), "ORCHESTRATOR_TLS_CERT", "missing.pfx", "no such file");
        Fails(Env(pfx, (RemoteTlsSettings.PasswordFileVariable, missing + ".txt"), ca), "ORCHESTRATOR_TLS_CERT_PASSWORD_FILE", "no such file");
        Fails(Env(pfx, password, (RemoteTlsSettings.CaVariable, missing + ".pem")), "ORCHESTRATOR_TLS_CA", "no such file");
        Fails(Env(pfx, password, (RemoteTlsSettings.CaVariable, Path.Combine(certs.Dir, "node1.ext"))), "ORCHESTRATOR_TLS_CA", "no PEM certificate");
        Fails(Env(pfx, password), "neither ORCHESTRATOR_TLS_CA", "ORCHESTRATOR_TLS_PINNED");
        Fails(Env(pfx, password, (RemoteTlsSettings.PinnedVariable, "abc123")), "ORCHESTRATOR_TLS_PINNED", "'abc123'");
        Fails(Env(pfx, password, (RemoteTlsSettings.PasswordFileVariable, missing)), "both set");
        Fails(Env((RemoteTlsSettings.CertificateVariable, certs.Pfx("intruder")), password, ca), "own certificate", "CN=intruder", "does not chain");
    }

    [Fact]
    public void A_peer_is_let_in_by_the_cluster_CA_or_by_a_pinned_thumbprint_and_by_nothing_else()
    {
        using var node2 = certs.Load("node2");
        using var intruder = certs.Load("intruder");

        using (var byCa = certs.Settings("node1").Validator())
        {
            byCa.Accepts(node2, null, out _).Should().BeTrue();
            byCa.Accepts(intruder, null, out var reason).Should().BeFalse();
            reason.Should().Contain("does not chain to the cluster's CA");
        }
        foreach (var pin in new[] { intruder.Thumbprint, intruder.GetCertHashString(HashAlgorithmName.SHA256) })
        {
            using var pinned = (certs.Settings("node1") with { CaCertificatePath = null, PinnedThumbprints = [pin] }).Validator();
            pinned.Accepts(intruder, null, out _).Should().BeTrue();
            pinned.Accepts(node2, null, out var reason).Should().BeFalse("only the pinned certificate is trusted without a CA");
            reason.Should().Be("is not pinned");
        }
    }
}
