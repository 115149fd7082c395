using System.Collections.Concurrent;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Orchestrator.Catalogue;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Trials;
using Orchestrator.Runtime.Wire;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

/// <summary>The messages that cross the network, through the serializer the product's configuration binds them to (the
/// CLI client's here; a node's binds the same), and what happens to a type that is not one of them.</summary>
public sealed class WireSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly HostedActorSystem _hosted;

    public WireSerializerTests() : this(HostedActorSystem.Start(RuntimeConfig.SystemName, b => b.Client("127.0.0.1", tls: null))) { }

    private WireSerializerTests(HostedActorSystem hosted) : base(hosted.System) => _hosted = hosted;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _hosted.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public static TheoryData<string> Names => new(WireMessages.All.Select(t => t.Name));

    public static TheoryData<TrialExit?> Exits => new(
        TrialExit.Ended(TrialEnd.Completed), TrialExit.Ended(TrialEnd.Failed), TrialExit.Ended(TrialEnd.Cancelled), TrialExit.Ended(TrialEnd.Diverged),
        TrialExit.Interrupted, null);

    private object RoundTrip(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        serializer.Should().BeOfType<WireSerializer>();
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_registered_type_comes_back_equal_to_its_sample(string name)
    {
        var registered = WireMessages.All.Single(t => t.Name == name);
        Akka.Serialization.Serialization.ManifestFor(Sys.Serialization.FindSerializerFor(registered.Sample), registered.Sample).Should().Be(name);

        var back = RoundTrip(registered.Sample);

        back.Should().BeOfType(registered.Type);
        if (registered.Type.GetProperties().Length == 0) back.Should().Be(registered.Sample);
        // Member by member: a record's own Equals compares its lists by reference.
        else back.Should().BeEquivalentTo(registered.Sample, o => o.ComparingRecordsByMembers().RespectingRuntimeTypes());
    }

    [Fact]
    public void Every_registered_type_has_a_sample_of_its_own_type_and_a_name_of_its_own()
    {
        WireMessages.All.Should().NotBeEmpty().And.OnlyContain(t => t.Sample != null && t.Sample.GetType() == t.Type);
        WireMessages.All.Select(t => t.Type).Should().OnlyHaveUniqueItems();
        WireMessages.All.Select(t => t.Name).Should().OnlyHaveUniqueItems().And.AllSatisfy(n => n.Should().MatchRegex("^[a-z][a-z-]{2,31}$"));
    }

    [Fact]
    public void The_names_on_the_wire_stay_as_they_are()
    {
        // A node of the previous build reads only these: a type is renamed freely, its name here never.
        WireMessages.All.Select(t => t.Name).Should().BeEquivalentTo(
            "launch-sweep", "sweep-launch-accepted", "control-sweep", "sweep-controlled", "unknown-sweep", "get-sweep-state", "sweep-state",
            "get-queue-status", "queue-status", "flush-rows", "rows-flushed", "register-slot", "request-work", "withdraw-request",
            "work-assigned", "work-rejected", "work-returned", "stop-trial", "drain-node", "node-drained", "get-cluster-view", "cluster-view",
            "get-node-info", "node-info", "member-command", "member-command-result", "get-actor-tree", "actor-tree", "get-live-trials",
            "get-local-trials", "live-trials", "join-cluster", "join-result", "signed-command", "control-refused");
    }

    [Theory]
    [MemberData(nameof(Exits))]
    public void A_return_keeps_its_exit(TrialExit? exit)
    {
        var returned = new WorkReturned("slot-0", new TrialId("t1"), 2, exit, WantsWork: true);

        RoundTrip(returned).Should().Be(returned);
    }

    [Fact]
    public void A_stop_keeps_its_cause_and_derives_the_rest_on_arrival()
    {
        var stop = new StopTrial(StopCause.SweepCancelled, new TrialId("t1"));

        var back = (StopTrial)RoundTrip(stop);

        back.Should().Be(stop);
        back.Exit.Should().Be(TrialExit.Ended(TrialEnd.Cancelled));
    }

    [Fact]
    public void Typed_ids_travel_as_the_plain_strings_they_wrap_and_come_back_typed()
    {
        var serializer = (WireSerializer)Sys.Serialization.FindSerializerFor(new WorkRejected(new TrialId("t1"), 2));
        var assigned = new WorkAssigned(new TrialId("t-0123456789ab"), new SweepId("sw-2a97516c35"), 3);
        var launch = new LaunchSweep(new SweepId("sw-2a97516c35"), "grid", [new TrialId("t1"), new TrialId("t2")]);
        var request = new RequestWork("slot-0", null);

        Encoding.UTF8.GetString(serializer.ToBinary(assigned)).Should().Be("""{"trialId":"t-0123456789ab","sweepId":"sw-2a97516c35","assignment":3}""");
        Encoding.UTF8.GetString(serializer.ToBinary(launch)).Should().Be("""{"sweepId":"sw-2a97516c35","name":"grid","trialIds":["t1","t2"]}""");
        Encoding.UTF8.GetString(serializer.ToBinary(request)).Should().Be("""{"slot":"slot-0","onlySweep":null}""");
        RoundTrip(assigned).Should().Be(assigned);
        ((LaunchSweep)RoundTrip(launch)).TrialIds.Should().Equal(new TrialId("t1"), new TrialId("t2"));
        RoundTrip(request).Should().Be(request);
        serializer.FromBinary("""{"slot":"slot-0","onlySweep":"sw-1"}"""u8.ToArray(), "request-work")
            .Should().Be(new RequestWork("slot-0", new SweepId("sw-1")), "what a node of the previous build sends reads typed");
        FluentActions.Invoking(() => serializer.FromBinary("""{"trialId":" ","assignment":2}"""u8.ToArray(), "work-rejected"))
            .Should().Throw<SerializationException>().WithMessage("*work-rejected*");
    }

    [Fact]
    public void Every_marked_type_of_the_runtime_is_registered()
    {
        WireMessages.Unregistered(typeof(IWireMessage).Assembly.GetTypes()).Should().BeEmpty();
        FluentActions.Invoking(WireMessages.EnsureComplete).Should().NotThrow();
    }

    [Fact]
    public void A_marked_type_that_is_not_registered_stops_the_start()
    {
        WireMessages.Unregistered([typeof(MarkedButUnlisted), typeof(LaunchSweep), typeof(NotOnTheWire)]).Should().Equal(typeof(MarkedButUnlisted));
        FluentActions.Invoking(() => WireMessages.EnsureRegistered([typeof(LaunchSweep), typeof(MarkedButUnlisted)]))
            .Should().Throw<InvalidOperationException>().WithMessage($"*{nameof(MarkedButUnlisted)}: marked IWireMessage but not registered*");
    }

    [Fact]
    public void A_name_this_build_does_not_know_or_a_payload_that_lacks_a_field_is_refused_on_read()
    {
        var serializer = (WireSerializer)Sys.Serialization.FindSerializerFor(new WithdrawRequest("slot-0"));

        FluentActions.Invoking(() => serializer.FromBinary("{}"u8.ToArray(), "no-such-message"))
            .Should().Throw<SerializationException>().WithMessage("*no wire message is named 'no-such-message'*");
        FluentActions.Invoking(() => serializer.FromBinary("""{"trialId":"t1"}"""u8.ToArray(), "work-rejected"))
            .Should().Throw<SerializationException>().WithMessage("*'work-rejected' cannot be read*assignment*");
        FluentActions.Invoking(() => serializer.FromBinary("""{"cause":1}"""u8.ToArray(), "stop-trial"))
            .Should().Throw<SerializationException>("an enum travels by name");
    }

    [Fact]
    public void The_client_s_envelopes_to_the_receptionist_travel_with_their_own_binding()
    {
        // What a ClusterClient puts on the wire for Send and SendToAll.
        var send = new Akka.Cluster.Tools.PublishSubscribe.Send($"/user/{QueryEndpoint.Name}", new GetClusterView(), localAffinity: true);
        var toAll = new Akka.Cluster.Tools.PublishSubscribe.SendToAll($"/user/{ControlFacade.Name}", WireMessages.All.Single(t => t.Name == "signed-command").Sample);

        foreach (var envelope in new object[] { send, toAll })
        {
            var serializer = Sys.Serialization.FindSerializerFor(envelope);
            serializer.Should().NotBeOfType<Akka.Serialization.NewtonSoftJsonSerializer>();
            Sys.Serialization.Deserialize(serializer.ToBinary(envelope), serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, envelope))
                .Should().BeEquivalentTo(envelope, o => o.ComparingRecordsByMembers().RespectingRuntimeTypes());
        }
    }

    [Fact]
    public void A_type_with_no_binding_of_its_own_has_no_serializer_on_a_client()
    {
        FluentActions.Invoking(() => Sys.Serialization.FindSerializerFor(new NotOnTheWire("x")))
            .Should().Throw<SerializationException>().WithMessage($"*{nameof(NotOnTheWire)}*");
    }

    [Fact]
    public async Task A_node_refuses_to_send_a_type_with_no_binding_of_its_own_and_keeps_the_association()
    {
        using var dir = new TempDir("orch-wire-");
        var store = StoreUrl.Parse($"sqlite:{Path.Combine(dir.Path, "store.db")}");
        var hostedNode = await HostedActorSystem.StartAsync(RuntimeConfig.SystemName, b => b.Node(store, NodeOptions.Standalone, tls: null));
        var node = hostedNode.System;
        try
        {
            var errors = new ConcurrentQueue<Error>();
            node.EventStream.Subscribe(node.ActorOf(Props.Create(() => new ErrorTap(errors))), typeof(Error));
            var inbox = Sys.ActorOf(Props.Create(() => new Forwarder(TestActor)), "inbox");
            var remoteInbox = node.ActorSelection(inbox.Path.ToStringWithAddress(((ExtendedActorSystem)Sys).Provider.DefaultAddress));

            remoteInbox.Tell(new NotOnTheWire("x"));
            remoteInbox.Tell(new GetClusterView());

            // One sender, one receiver: had the first arrived, it would have arrived first.
            ExpectMsg<GetClusterView>(TimeSpan.FromSeconds(10));
            await AwaitAssertAsync(() => errors.Should().Contain(e => e.Cause is SerializationException
                && e.Cause.Message.Contains($"No serializer binding found for type {nameof(NotOnTheWire)}", StringComparison.Ordinal)), TimeSpan.FromSeconds(5));
            ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        }
        finally
        {
            await hostedNode.DisposeAsync();
        }
    }

    private sealed record NotOnTheWire(string Text);

    private sealed record MarkedButUnlisted : IWireMessage;

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef to) => ReceiveAny(to.Forward);
    }

    private sealed class ErrorTap : ReceiveActor
    {
        public ErrorTap(ConcurrentQueue<Error> errors) => Receive<Error>(errors.Enqueue);
    }
}
