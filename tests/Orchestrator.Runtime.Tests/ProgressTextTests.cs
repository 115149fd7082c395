using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Runtime.Tests;

/// <summary>The lines `sweep status` and the dashboard both print: a sweep's counts and ETA, and a node as host:port.</summary>
public class ProgressTextTests
{
    private static SweepProgress Progress(TimeSpan? eta) =>
        new(new Dictionary<string, int> { ["completed"] = 2, ["running"] = 1 }, EpochsDone: 7, EpochsLeftAtMost: 5, MeanEpochSeconds: 12.34,
            Slots: 2, eta);

    [Fact]
    public void Counts_name_each_status_with_its_number() =>
        Progress(null).DescribeCounts().Should().Be("2 completed, 1 running");

    [Fact]
    public void An_eta_under_an_hour_is_minutes_and_seconds_with_what_it_rests_on() =>
        Progress(TimeSpan.FromSeconds(80)).DescribeEta().Should().Be("ETA at most 1:20 (5 epoch(s) left at most, 12.3s each, 2 live slot(s))");

    [Fact]
    public void An_eta_of_an_hour_or_more_shows_hours() =>
        Progress(TimeSpan.FromSeconds(3725)).DescribeEta().Should().StartWith("ETA at most 1:02:05 (");

    [Fact]
    public void No_eta_and_nothing_left_say_so() =>
        (Progress(null).DescribeEta(), Progress(TimeSpan.Zero).DescribeEta()).Should()
            .Be(("ETA unknown (no live worker slots or no epoch timed yet)", "nothing left to run"));

    [Theory]
    [InlineData("akka.tcp://orchestrator@10.0.0.5:4053", "10.0.0.5:4053")]
    [InlineData("akka.ssl.tcp://orchestrator@[::1]:4053", "[::1]:4053")]
    [InlineData("10.0.0.5:4053", "10.0.0.5:4053")]
    public void A_node_address_is_shown_as_host_and_port(string address, string shown) =>
        SeedAddress.HostPortOf(address).Should().Be(shown);
}
