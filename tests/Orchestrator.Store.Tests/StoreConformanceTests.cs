namespace Orchestrator.Store.Tests;

/// <summary>
/// The behaviour every <see cref="IOrchestratorStore"/> must show. Each implementation runs it through a subclass
/// that creates a fresh, migrated, empty store per test.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    protected static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private IOrchestratorStore? _store;

    protected IOrchestratorStore Store => _store ?? throw new InvalidOperationException("store not created");

    /// <summary>A new, migrated store that no other test sees.</summary>
    protected abstract Task<IOrchestratorStore> CreateStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    protected static SweepRecord Sweep(string id = "s1", string spec = "spec: 1") => new(id, $"sweep {id}", spec, T0);

    protected static TrialRecord Trial(string id, string sweepId = "s1") =>
        new(id, sweepId, $$"""{"trial":"{{id}}"}""", TrialStatus.Pending, null, 0, null, 0, T0);

    protected async Task<IReadOnlyList<TrialRecord>> SeedAsync(int count, string sweepId = "s1")
    {
        var trials = Enumerable.Range(1, count).Select(i => Trial($"{sweepId}-t{i:D3}", sweepId)).ToList();
        (await Store.RegisterSweepAsync(Sweep(sweepId), trials)).Should().Be(count);
        return trials;
    }


    private async Task<TrialLease> ClaimAsync(string owner = "w1", DateTimeOffset? now = null, string sweepId = "s1") =>
        await Store.TryClaimTrialAsync(sweepId, owner, now ?? T0, Lease) ?? throw new InvalidOperationException("nothing to claim");

    // ---- schema and registration ----

    [SuiteFact]
    public async Task Migrating_again_is_harmless_and_keeps_data()
    {
        await SeedAsync(2);
        await Store.MigrateAsync();
        await Store.MigrateAsync();

        (await Store.ListSweepsAsync()).Should().ContainSingle().Which.Should().Be(Sweep());
        (await Store.ListTrialsAsync("s1")).Should().HaveCount(2);
    }

    [SuiteFact]
    public async Task Registering_twice_adds_nothing_and_an_extension_adds_only_new_trials()
    {
        var first = new[] { Trial("b"), Trial("a"), Trial("c") };
        (await Store.RegisterSweepAsync(Sweep(), first)).Should().Be(3);
        (await Store.RegisterSweepAsync(Sweep(), first)).Should().Be(0);

        var lease = await ClaimAsync();
        lease.TrialId.Should().Be("b");

        var extended = first.Append(Trial("e")).Append(Trial("d")).ToList();
        var renamed = Sweep(spec: "spec: 2") with { Name = "another name", CreatedAt = T0.AddDays(1) };
        (await Store.RegisterSweepAsync(renamed, extended)).Should().Be(2);

        (await Store.ListTrialsAsync("s1")).Select(t => t.Id).Should().Equal("b", "a", "c", "e", "d");
        var sweep = await Store.GetSweepAsync("s1");
        sweep.Should().Be(Sweep() with { SpecYaml = "spec: 2" }, "the sweep is kept, only its spec is refreshed");
        var claimed = await Store.GetTrialAsync("b");
        claimed!.Status.Should().Be(TrialStatus.Running, "re-registering leaves existing trials as they are");
        claimed.LeaseEpoch.Should().Be(1);
    }

    [SuiteFact]
    public async Task Trials_must_belong_to_the_sweep_they_are_registered_with()
    {
        var act = () => Store.RegisterSweepAsync(Sweep("s1"), [Trial("x", "s2")]);
        await act.Should().ThrowAsync<ArgumentException>();
        (await Store.ListSweepsAsync()).Should().BeEmpty();
    }

    [SuiteFact]
    public async Task Lookups_of_unknown_ids_return_nothing()
    {
        await SeedAsync(1);
        (await Store.GetSweepAsync("nope")).Should().BeNull();
        (await Store.GetTrialAsync("nope")).Should().BeNull();
        (await Store.ListTrialsAsync("nope")).Should().BeEmpty();
        (await Store.TryClaimTrialAsync("nope", "w1", T0, Lease)).Should().BeNull();
    }

    [SuiteFact]
    public async Task Sweeps_are_listed_in_registration_order_and_trials_round_trip()
    {
        await Store.RegisterSweepAsync(Sweep("zz"), [Trial("zz-1", "zz")]);
        await Store.RegisterSweepAsync(Sweep("aa"), [Trial("aa-1", "aa")]);

        (await Store.ListSweepsAsync()).Select(s => s.Id).Should().Equal("zz", "aa");
        (await Store.GetTrialAsync("aa-1")).Should().Be(Trial("aa-1", "aa"));
        (await Store.ListTrialsAsync("zz")).Should().Equal(Trial("zz-1", "zz"));
    }

    [SuiteFact]
    public async Task Times_round_trip_as_the_same_instant()
    {
        var odd = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1234567);
        await Store.RegisterSweepAsync(Sweep() with { CreatedAt = odd }, [Trial("t") with { UpdatedAt = odd }]);

        (await Store.GetSweepAsync("s1"))!.CreatedAt.Should().Be(odd);
        (await Store.GetTrialAsync("t"))!.UpdatedAt.Should().Be(odd);

        var lease = await ClaimAsync(now: odd);
        lease.ExpiresAt.Should().Be(odd + Lease);
        (await Store.GetTrialAsync("t"))!.LeaseExpiresAt.Should().Be(odd + Lease);
    }

    [SuiteFact]
    public async Task A_registration_that_fails_midway_leaves_nothing_behind()
    {
        var broken = Trial("t3") with { SpecJson = null! };
        var act = () => Store.RegisterSweepAsync(Sweep(), [Trial("t1"), Trial("t2"), broken]);

        await act.Should().ThrowAsync<Exception>();
        (await Store.GetSweepAsync("s1")).Should().BeNull();
        (await Store.GetTrialAsync("t1")).Should().BeNull();
        (await Store.RegisterSweepAsync(Sweep(), [Trial("t1"), Trial("t2")])).Should().Be(2);
    }

    // ---- leases ----

    [SuiteFact]
    public async Task Claims_follow_registration_order_and_stop_when_nothing_is_claimable()
    {
        await Store.RegisterSweepAsync(Sweep(), [Trial("c"), Trial("a"), Trial("b")]);
        await Store.RegisterSweepAsync(Sweep("other"), [Trial("o", "other")]);

        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await ClaimAsync($"w{i}")).TrialId);
        }
        ids.Should().Equal("c", "a", "b");
        (await Store.TryClaimTrialAsync("s1", "w9", T0, Lease)).Should().BeNull();
    }

    [SuiteFact]
    public async Task A_claim_bumps_epoch_and_attempts_and_records_the_lease()
    {
        await SeedAsync(1);
        var lease = await ClaimAsync("w1", T0);

        lease.Should().Be(new TrialLease("s1-t001", "s1", "w1", 1, T0 + Lease, 1));
        var t = await Store.GetTrialAsync("s1-t001");
        t.Should().Be(Trial("s1-t001") with
        {
            Status = TrialStatus.Running, LeaseOwner = "w1", LeaseEpoch = 1, LeaseExpiresAt = T0 + Lease, Attempts = 1, UpdatedAt = T0,
        });
    }

    [SuiteFact]
    public async Task A_leased_trial_is_not_claimed_again_until_its_lease_has_expired()
    {
        await SeedAsync(1);
        var first = await ClaimAsync("w1", T0);

        (await Store.TryClaimTrialAsync("s1", "w2", T0 + Lease - TimeSpan.FromSeconds(1), Lease)).Should().BeNull();
        (await Store.TryClaimTrialAsync("s1", "w2", first.ExpiresAt, Lease)).Should().BeNull("a lease is valid up to its expiry");

        var later = first.ExpiresAt + TimeSpan.FromMilliseconds(1);
        var second = await Store.TryClaimTrialAsync("s1", "w2", later, Lease);
        second.Should().Be(new TrialLease("s1-t001", "s1", "w2", 2, later + Lease, 2));
        (await Store.GetTrialAsync("s1-t001"))!.LeaseOwner.Should().Be("w2");
    }

    [SuiteFact]
    public async Task Renewing_extends_the_lease()
    {
        await SeedAsync(1);
        var lease = await ClaimAsync("w1", T0);
        var renewedAt = T0 + TimeSpan.FromSeconds(50);

        (await Store.RenewLeaseAsync(lease, renewedAt, Lease)).Should().BeTrue();

        (await Store.GetTrialAsync(lease.TrialId))!.LeaseExpiresAt.Should().Be(renewedAt + Lease);
        (await Store.TryClaimTrialAsync("s1", "w2", lease.ExpiresAt + TimeSpan.FromSeconds(1), Lease)).Should().BeNull();
    }

    [SuiteFact]
    public async Task Renew_finish_and_release_with_a_stale_epoch_return_false_and_change_nothing()
    {
        await SeedAsync(1);
        var old = await ClaimAsync("w1", T0);
        var current = await ClaimAsync("w2", old.ExpiresAt.AddSeconds(1));
        var before = await Store.GetTrialAsync(old.TrialId);

        var later = T0.AddHours(1);
        (await Store.RenewLeaseAsync(old, later, Lease)).Should().BeFalse();
        (await Store.FinishTrialAsync(old, TrialStatus.Completed, later)).Should().BeFalse();
        (await Store.ReleaseTrialAsync(old, later)).Should().BeFalse();

        (await Store.GetTrialAsync(old.TrialId)).Should().Be(before);
        before!.LeaseEpoch.Should().Be(current.Epoch);
    }

    [SuiteFact]
    public async Task Finishing_sets_the_status_clears_the_lease_and_ends_the_lease()
    {
        await SeedAsync(1);
        var lease = await ClaimAsync("w1", T0);
        var at = T0.AddSeconds(10);

        (await Store.FinishTrialAsync(lease, TrialStatus.Completed, at)).Should().BeTrue();

        var t = await Store.GetTrialAsync(lease.TrialId);
        t.Should().Be(Trial(lease.TrialId) with { Status = TrialStatus.Completed, LeaseEpoch = 1, Attempts = 1, UpdatedAt = at });
        (await Store.TryClaimTrialAsync("s1", "w2", T0.AddDays(1), Lease)).Should().BeNull("a finished trial is never claimed again");
        (await Store.FinishTrialAsync(lease, TrialStatus.Failed, at)).Should().BeFalse("the lease ended with the first finish");
        (await Store.RenewLeaseAsync(lease, at, Lease)).Should().BeFalse();
        (await Store.ReleaseTrialAsync(lease, at)).Should().BeFalse();
        (await Store.GetTrialAsync(lease.TrialId)).Should().Be(t);
    }

    [SuiteFact]
    public async Task Finishing_requires_a_final_status()
    {
        await SeedAsync(1);
        var lease = await ClaimAsync();
        foreach (var status in new[] { TrialStatus.Pending, TrialStatus.Running })
        {
            var act = () => Store.FinishTrialAsync(lease, status, T0);
            await act.Should().ThrowAsync<ArgumentOutOfRangeException>();
        }
        (await Store.GetTrialAsync(lease.TrialId))!.Status.Should().Be(TrialStatus.Running);
    }

    [SuiteFact]
    public async Task A_released_trial_is_pending_and_claimable_at_once_with_a_higher_epoch()
    {
        await SeedAsync(1);
        var lease = await ClaimAsync("w1", T0);

        (await Store.ReleaseTrialAsync(lease, T0.AddSeconds(1))).Should().BeTrue();

        var t = await Store.GetTrialAsync(lease.TrialId);
        t.Should().Be(Trial(lease.TrialId) with { LeaseEpoch = 1, Attempts = 1, UpdatedAt = T0.AddSeconds(1) });
        var again = await ClaimAsync("w2", T0.AddSeconds(2));
        again.Epoch.Should().Be(2);
        again.Attempts.Should().Be(2);
    }

    [SuiteFact]
    public async Task An_expired_lease_of_a_dead_owner_is_claimable_at_once_and_only_that_owner_s()
    {
        await SeedAsync(1);
        var lease = await ClaimAsync("dead", T0);

        (await Store.ExpireLeaseAsync(lease.TrialId, "someone-else", T0.AddSeconds(1))).Should().BeFalse();
        (await Store.TryClaimTrialAsync("s1", "w2", T0.AddSeconds(1), Lease)).Should().BeNull();

        (await Store.ExpireLeaseAsync(lease.TrialId, "dead", T0.AddSeconds(1))).Should().BeTrue();
        var taken = await ClaimAsync("w2", T0.AddSeconds(1));
        taken.Epoch.Should().Be(lease.Epoch + 1);
        (await Store.ExpireLeaseAsync(lease.TrialId, "dead", T0.AddSeconds(2))).Should().BeFalse();
    }

    [SuiteFact]
    public async Task Concurrent_claimers_never_get_the_same_trial()
    {
        await SeedAsync(10);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claims = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return await Store.TryClaimTrialAsync("s1", $"w{i}", T0, Lease);
        })).ToList();
        start.SetResult();
        var leases = await Task.WhenAll(claims);

        var won = leases.OfType<TrialLease>().ToList();
        won.Should().HaveCount(10);
        won.Select(l => l.TrialId).Should().OnlyHaveUniqueItems();
        won.Should().OnlyContain(l => l.Epoch == 1);
    }

    private static NodeRecord Node(string id, DateTimeOffset at) => new(id, "box", 42, "worker", 2, 0, at, at, NodeStatus.Up, false);

    [SuiteFact]
    public async Task Claiming_across_sweeps_takes_the_oldest_sweep_first_and_skips_cancelled_sweeps()
    {
        await Store.RegisterSweepAsync(Sweep("s1"), [Trial("a", "s1")]);
        await Store.RegisterSweepAsync(Sweep("s2"), [Trial("b", "s2"), Trial("c", "s2")]);
        (await Store.SetSweepCancelledAsync("s2", true, T0)).Should().BeTrue();

        var first = await Store.TryClaimAnyTrialAsync("w1", T0, Lease);
        first.Should().Be(new TrialLease("a", "s1", "w1", 1, T0 + Lease, 1));
        (await Store.TryClaimAnyTrialAsync("w2", T0, Lease)).Should().BeNull("s2 is cancelled");

        (await Store.SetSweepCancelledAsync("s2", false, T0)).Should().BeTrue();
        (await Store.TryClaimAnyTrialAsync("w2", T0, Lease))!.TrialId.Should().Be("b");
        (await Store.TryClaimAnyTrialAsync("w3", T0, Lease))!.TrialId.Should().Be("c");
        (await Store.TryClaimAnyTrialAsync("w4", T0 + Lease + TimeSpan.FromSeconds(1), Lease))!.TrialId.Should().Be("a", "its lease expired");
    }

    [SuiteFact]
    public async Task Cancelling_a_sweep_cancels_its_pending_trials_only_and_resuming_brings_them_back()
    {
        await SeedAsync(3);
        var running = await ClaimAsync();

        (await Store.SetSweepCancelledAsync("s1", true, T0.AddSeconds(1))).Should().BeTrue();
        (await Store.IsSweepCancelledAsync("s1")).Should().BeTrue();
        var trials = await Store.ListTrialsAsync("s1");
        trials.Select(t => t.Status).Should().Equal(TrialStatus.Running, TrialStatus.Cancelled, TrialStatus.Cancelled);

        (await Store.SetSweepCancelledAsync("s1", false, T0.AddSeconds(2))).Should().BeTrue();
        (await Store.IsSweepCancelledAsync("s1")).Should().BeFalse();
        (await Store.ListTrialsAsync("s1")).Select(t => t.Status).Should().Equal(TrialStatus.Running, TrialStatus.Pending, TrialStatus.Pending);
        (await Store.SetSweepCancelledAsync("nope", true, T0)).Should().BeFalse();
        (await Store.IsSweepCancelledAsync("nope")).Should().BeFalse();
    }

    [SuiteFact]
    public async Task Nodes_register_heartbeat_drain_and_change_status()
    {
        await Store.RegisterNodeAsync(Node("n1", T0));
        await Store.RegisterNodeAsync(Node("n2", T0.AddSeconds(1)) with { Roles = "coordinator", Slots = 0 });

        var beat = await Store.HeartbeatAsync("n1", 2, T0.AddSeconds(5));
        beat.Should().Be(Node("n1", T0) with { Busy = 2, LastHeartbeat = T0.AddSeconds(5) });
        (await Store.HeartbeatAsync("ghost", 0, T0)).Should().BeNull();

        (await Store.SetDrainingAsync("n1", true)).Should().BeTrue();
        (await Store.SetNodeStatusAsync("n2", NodeStatus.Down)).Should().BeTrue();
        (await Store.SetNodeStatusAsync("ghost", NodeStatus.Down)).Should().BeFalse();
        (await Store.SetDrainingAsync("ghost", true)).Should().BeFalse();

        var nodes = await Store.ListNodesAsync();
        nodes.Select(n => (n.Id, n.Status, n.Draining)).Should().Equal(("n1", NodeStatus.Up, true), ("n2", NodeStatus.Down, false));
        (await Store.HeartbeatAsync("n2", 0, T0.AddSeconds(9)))!.Status.Should().Be(NodeStatus.Up, "a heartbeat means it is back");
        (await Store.HeartbeatAsync("n1", 1, T0.AddSeconds(9)))!.Draining.Should().BeTrue("a heartbeat keeps the drain");
    }

    [SuiteFact]
    public async Task Expiring_a_node_s_leases_frees_only_that_node_s_trials()
    {
        await SeedAsync(3);
        var a = await ClaimAsync("n1/slot-0");
        var b = await ClaimAsync("n10/slot-0");
        var c = await ClaimAsync("n1/slot-1");

        (await Store.ExpireLeasesOfNodeAsync("n1", T0.AddSeconds(1))).Should().Be(2);

        var now = T0.AddSeconds(1);
        var taken = new[] { await Store.TryClaimTrialAsync("s1", "n2/slot-0", now, Lease), await Store.TryClaimTrialAsync("s1", "n2/slot-1", now, Lease) };
        taken.Select(l => l!.TrialId).Should().BeEquivalentTo([a.TrialId, c.TrialId]);
        (await Store.TryClaimTrialAsync("s1", "n2/slot-2", now, Lease)).Should().BeNull();
        (await Store.GetTrialAsync(b.TrialId))!.LeaseOwner.Should().Be("n10/slot-0");
    }

    [SuiteFact]
    public async Task The_coordinator_singleton_is_held_by_one_holder_at_a_time_and_terms_count_takeovers()
    {
        var first = await Store.TryAcquireLeadershipAsync();
        first.Should().NotBeNull();
        (await first!.StillHeldAsync()).Should().BeTrue();
        (await Store.TryAcquireLeadershipAsync()).Should().BeNull("it is held");
        (await Store.RecordLeaderAsync("n1", "box", 1, T0)).Term.Should().Be(1);

        await first.DisposeAsync();
        await using var second = await Store.TryAcquireLeadershipAsync();
        second.Should().NotBeNull("the holder let go");
        (await Store.RecordLeaderAsync("n2", "box2", 2, T0.AddSeconds(3))).Should().Be(new LeaderRecord("n2", "box2", 2, T0.AddSeconds(3), 2));
        (await Store.GetLeaderAsync()).Should().Be(new LeaderRecord("n2", "box2", 2, T0.AddSeconds(3), 2));
    }
}
