using Orchestrator.Runtime.Hosting;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

public sealed class AddressMarkTests
{
    private static readonly DateTime Now = new(2026, 12, 6, 22, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Removal = TimeSpan.FromSeconds(35);

    [Fact]
    public void No_mark_no_wait() => AddressMark.WaitBeforeJoin(null, Now, Removal).Should().Be(TimeSpan.Zero);

    [Fact]
    public void A_predecessor_seen_alive_recently_is_waited_for_until_the_cluster_has_removed_it() =>
        AddressMark.WaitBeforeJoin(Now.AddSeconds(-5), Now, Removal).Should().Be(TimeSpan.FromSeconds(30));

    [Fact]
    public void A_predecessor_gone_longer_than_the_removal_is_not_waited_for() =>
        AddressMark.WaitBeforeJoin(Now.AddSeconds(-36), Now, Removal).Should().Be(TimeSpan.Zero);

    [Fact]
    public void A_mark_dated_in_the_future_is_waited_for_no_longer_than_the_removal() =>
        AddressMark.WaitBeforeJoin(Now.AddHours(1), Now, Removal).Should().Be(Removal);

    [Fact]
    public async Task A_held_mark_is_touched_while_held_and_gone_once_released()
    {
        using var dir = new TempDir();
        var path = AddressMark.PathFor(dir.Path, "worker-1.example", 4054);
        Path.GetFileName(path).Should().Be("worker-1.example_4054.alive");
        var mark = AddressMark.Hold(path);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-5));
        SpinWait.SpinUntil(() => DateTime.UtcNow - AddressMark.LastTouched(path)!.Value < TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10))
            .Should().BeTrue("the mark is touched every second while held");
        await mark.DisposeAsync();
        AddressMark.LastTouched(path).Should().BeNull("a node that stopped cleanly leaves no mark to wait for");
    }

    [Fact]
    public void Characters_a_file_name_cannot_hold_become_underscores() =>
        Path.GetFileName(AddressMark.PathFor("/x", "fe80::1%eth0", 4053)).Should().Be("fe80__1_eth0_4053.alive");
}
