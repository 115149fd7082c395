using System.Text.Json;
using Akka.Actor;
using Orchestrator.Domain;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

/// <summary>The control facade and its gate on a fixed clock: the MAC, the time window, replays, and the audit line of
/// every command; what it lets through reaches the node or the coordinator, what it refuses reaches neither.</summary>
public sealed class ControlFacadeTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _temp = new("control-");
    private readonly ControlKey _key;
    private DateTimeOffset _clock = T0;

    public ControlFacadeTests() => _key = ControlKey.Load(ControlKeyFile.Create(_temp.Path))!;

    private ControlGate Gate(ControlKey? key = null) => new(key ?? _key, () => _clock);

    [Fact]
    public void A_signed_command_passes_once_as_itself()
    {
        var gate = Gate();
        var signed = _key.Sign(new LaunchSweep(new SweepId("s1"), "name", [new TrialId("t1"), new TrialId("t2")]), "ana@box", T0);
        var (command, refused) = gate.Check(signed);
        refused.Should().BeNull();
        command.Should().BeOfType<LaunchSweep>().Which.TrialIds.Should().Equal(new TrialId("t1"), new TrialId("t2"));
        gate.Check(signed).Refused.Should().StartWith("replayed command");
    }

    [Fact]
    public void A_wrong_key_a_changed_field_a_stale_or_future_time_and_a_node_without_a_key_are_refused()
    {
        var signed = _key.Sign(new MemberCommand(MembershipVerb.Down, "127.0.0.1:4053"), "ana@box", T0);
        var other = ControlKey.Load(ControlKeyFile.Create(_temp.Path, "other.key"))!;
        Gate().Check(other.Sign(new MemberCommand(MembershipVerb.Down, "127.0.0.1:4053"), "ana@box", T0)).Refused.Should().StartWith("wrong control key");
        Gate().Check(signed with { Body = signed.Body.Replace("4053", "4054", StringComparison.Ordinal) }).Refused.Should().StartWith("wrong control key");
        Gate().Check(signed with { Caller = "root@box" }).Refused.Should().StartWith("wrong control key");
        Gate().Check(signed with { Mac = "" }).Refused.Should().StartWith("wrong control key");
        Gate().Check(signed with { Type = "WorkReturned" }).Refused.Should().Contain("not a command this node takes");
        new ControlGate(null, () => T0).Check(signed).Refused.Should().Contain("no control key").And.Contain("--key-file");

        var gate = Gate();
        _clock = T0 + TimeSpan.FromMinutes(2.5);
        gate.Check(signed).Refused.Should().Contain("more than 2 min from this node's clock");
        _clock = T0 - TimeSpan.FromMinutes(2.5);
        gate.Check(signed).Refused.Should().Contain("more than 2 min from this node's clock");
        _clock = T0 + TimeSpan.FromMinutes(1.9);
        gate.Check(signed).Refused.Should().BeNull("within the window");
        gate.Check(signed).Refused.Should().StartWith("replayed command");
        _clock = T0 + TimeSpan.FromMinutes(3);
        gate.Check(signed).Refused.Should().Contain("more than 2 min", "past the window the time refuses it, the nonce forgotten");
    }

    [Fact]
    public void A_key_file_too_short_is_bad_input_and_no_key_configured_is_null()
    {
        var path = Path.Combine(_temp.Path, "short.key");
        File.WriteAllText(path, "secret");
        var act = () => ControlKey.Load(path);
        act.Should().Throw<InvalidInputException>().WithMessage("*at least 32*").Which.Message.Should().NotContain("secret");
        if (Environment.GetEnvironmentVariable(ControlKey.FileVariable) is null && Environment.GetEnvironmentVariable(ControlKey.KeyVariable) is null)
            ControlKey.Load().Should().BeNull();
    }

    [Fact]
    public async Task The_facade_passes_an_accepted_command_on_refuses_the_rest_and_audits_each()
    {
        var node = CreateTestProbe();
        var coordinator = CreateTestProbe();
        var auditPath = Path.Combine(_temp.Path, "audit.jsonl");
        var audit = new AuditLog(auditPath);
        var facade = Sys.ActorOf(ControlFacade.Props(node.Ref, coordinator.Ref, _key, audit, "akka.tcp://orchestrator@127.0.0.1:4053", () => _clock));

        var down = _key.Sign(new MemberCommand(MembershipVerb.Down, "127.0.0.1:4054"), "ana@box", T0);
        var answer = facade.Ask<object>(down, TimeSpan.FromSeconds(5));
        node.ExpectMsg<MemberCommand>().Address.Should().Be("127.0.0.1:4054");
        node.Reply(new MemberCommandResult(MembershipVerb.Down, new[] { "127.0.0.1:4054" }, null));
        (await answer).Should().BeOfType<MemberCommandResult>();

        (await facade.Ask<object>(down, TimeSpan.FromSeconds(5))).Should().BeOfType<ControlRefused>().Which.Reason.Should().StartWith("replayed");
        (await facade.Ask<object>(new MemberCommand(MembershipVerb.Down, null), TimeSpan.FromSeconds(5))).Should().BeOfType<ControlRefused>()
            .Which.Reason.Should().Contain("not a signed command");
        var cancel = facade.Ask<object>(_key.Sign(new ControlSweep(new SweepId("s1"), true), "ana@box", T0), TimeSpan.FromSeconds(5));
        coordinator.ExpectMsg<ControlSweep>().SweepId.Should().Be(new SweepId("s1"));
        coordinator.Reply(new SweepControlled(new SweepId("s1"), true, new Dictionary<string, int>()));
        (await cancel).Should().BeOfType<SweepControlled>();
        node.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        await audit.DisposeAsync();
        var lines = File.ReadAllLines(auditPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        lines.Select(l => l.GetProperty("outcome").GetString()).Should().Equal("accepted", "refused", "refused", "accepted");
        lines[0].GetProperty("caller").GetString().Should().Be("ana@box");
        lines[0].GetProperty("node").GetString().Should().Be("akka.tcp://orchestrator@127.0.0.1:4053");
        File.ReadAllText(auditPath).Should().NotContain(down.Mac);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _temp.Dispose();
    }
}
