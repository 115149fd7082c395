using System.Diagnostics;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Tests;

public sealed class PauseLogTests
{
    private static long At(double seconds) => (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void Regular_ticks_are_no_pause()
    {
        var log = new PauseLog(TimeSpan.FromSeconds(2), At(0));
        for (var t = 0.1; t < 10; t += 0.1) log.Tick(At(t)).Should().BeFalse();
        log.PausedSince(At(0), At(10)).Should().BeFalse();
    }

    [Fact]
    public void A_gap_longer_than_the_limit_is_a_pause_seen_by_whoever_asks_about_a_moment_before_it_ended()
    {
        var log = new PauseLog(TimeSpan.FromSeconds(2), At(0));
        log.Tick(At(1)).Should().BeFalse();
        log.Tick(At(9)).Should().BeTrue("8 s without a tick");
        log.PausedSince(At(0.5), At(9.1)).Should().BeTrue("an epoch that began before the pause");
        log.PausedSince(At(9.05), At(9.1)).Should().BeFalse("an epoch that began after it");
    }

    [Fact]
    public void What_arrives_shortly_after_a_pause_may_have_been_sent_before_it()
    {
        // Nemesis seed 1206: a trial assigned while the process stood still (a SIGSTOP of 11 s) was received just after
        // the thaw, so "paused since it was received" said no, and it trained beside the newer attempt the cluster had
        // meanwhile given to another node.
        var log = new PauseLog(TimeSpan.FromSeconds(2), At(0));
        log.Tick(At(1));
        log.Tick(At(12)).Should().BeTrue();
        log.PausedSince(At(12.05), At(12.1)).Should().BeFalse("nothing stood still after it was received");
        log.PausedAround(At(12.05), At(12.1)).Should().BeTrue("received within the limit after a pause ended");
        for (var t = 12.1; t < 14.6; t += 0.1) log.Tick(At(t));
        log.PausedAround(At(14.5), At(14.6)).Should().BeFalse("received well after the pause");
        log.PausedAround(At(0.5), At(12.1)).Should().BeTrue("a pause after it counts too");
    }

    [Fact]
    public void A_thread_that_runs_before_the_ticks_resume_sees_the_pause_under_way()
    {
        var log = new PauseLog(TimeSpan.FromSeconds(2), At(0));
        log.Tick(At(1));
        log.PausedSince(At(0.5), At(1.5)).Should().BeFalse();
        log.PausedSince(At(0.5), At(8)).Should().BeTrue("no tick for 7 s: the process has just been thawed");
    }
}
