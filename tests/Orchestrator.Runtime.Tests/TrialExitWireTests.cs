using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Tests;

/// <summary>How a trial left its slot crosses the wire (a slot on another node) through Akka's default serializer, as
/// the product sends it.</summary>
public sealed class TrialExitWireTests : Akka.TestKit.Xunit2.TestKit
{
    public static TheoryData<TrialExit?> Exits => new(
        TrialExit.Ended(TrialEnd.Completed), TrialExit.Ended(TrialEnd.Failed), TrialExit.Ended(TrialEnd.Cancelled), TrialExit.Ended(TrialEnd.Diverged),
        TrialExit.Interrupted, null);

    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        return (T)Sys.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
    }

    [Theory]
    [MemberData(nameof(Exits))]
    public void A_return_keeps_its_exit(TrialExit? exit)
    {
        var returned = new WorkReturned("slot-0", "t1", 2, exit, WantsWork: true);

        RoundTrip(returned).Should().Be(returned);
    }

    [Fact]
    public void A_registration_keeps_the_exits_of_its_returns()
    {
        var returns = new[]
        {
            new WorkReturned("slot-0", "t1", 1, TrialExit.Interrupted, false),
            new WorkReturned("slot-0", "t2", 1, TrialExit.Interrupted, false),
            new WorkReturned("slot-0", "t3", 1, null, false),
            new WorkReturned("slot-0", "t4", 1, TrialExit.Ended(TrialEnd.Completed), true),
        };

        RoundTrip(new RegisterSlot("slot-0", null, null, true, false, null, null, returns)).Returned.Should().Equal(returns);
    }
}
