using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Catalogue.Tests;

/// <summary>
/// The behaviour every <see cref="ISweepCatalogue"/> must show. Each implementation runs it through a subclass
/// that creates a fresh, migrated, empty store per test.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private ISweepCatalogue? _store;

    protected ISweepCatalogue Store => _store ?? throw new InvalidOperationException("store not created");

    /// <summary>A new, migrated store that no other test sees.</summary>
    protected abstract Task<ISweepCatalogue> CreateStoreAsync();

    /// <summary>A new database (no other test sees it) with the schema as it was before membership, leases and
    /// leadership moved to Akka.Cluster (SQLite version 2, PostgreSQL version 3), written by hand with that old DDL
    /// and holding <paramref name="sweep"/>, <paramref name="trials"/>, its cancelled flag, a node row and a leader
    /// row. Nothing of the current store has touched it.</summary>
    protected abstract Task<LegacyDatabase> CreateLegacyDatabaseAsync(SweepRecord sweep, IReadOnlyList<LegacyTrial> trials, bool cancelled);

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    protected static SweepRecord Sweep(string id = "s1", string spec = "spec: 1") => new(new SweepId(id), $"sweep {id}", spec, T0);

    protected static TrialRecord Trial(string id, string sweepId = "s1") =>
        new(new TrialId(id), new SweepId(sweepId), $$"""{"trial":"{{id}}"}""", TrialStatus.Pending, null, 0, T0);

    protected async Task<IReadOnlyList<TrialRecord>> SeedAsync(int count, string sweepId = "s1")
    {
        var trials = Enumerable.Range(1, count).Select(i => Trial($"{sweepId}-t{i:D3}", sweepId)).ToList();
        (await Store.RegisterSweepAsync(Sweep(sweepId), trials)).Should().Be(count);
        return trials;
    }

    /// <summary>An instant with sub-microsecond ticks and a non-UTC offset: what a lossy time column would not keep.</summary>
    protected static DateTimeOffset Odd(int seconds = 0) =>
        new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1234567).AddSeconds(seconds);

    // ---- schema and registration ----

    [SuiteFact]
    public async Task Migrating_again_is_harmless_and_keeps_data()
    {
        await SeedAsync(2);
        await Store.MigrateAsync();
        await Store.MigrateAsync();

        (await Store.ListSweepsAsync()).Should().ContainSingle().Which.Should().Be(Sweep());
        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().HaveCount(2);
    }

    [SuiteFact]
    public async Task Registering_twice_adds_nothing_and_an_extension_adds_only_new_trials()
    {
        var first = new[] { Trial("b"), Trial("a"), Trial("c") };
        (await Store.RegisterSweepAsync(Sweep(), first)).Should().Be(3);
        (await Store.RegisterSweepAsync(Sweep(), first)).Should().Be(0);

        await Store.UpdateTrialsAsync([new TrialRowUpdate(new TrialId("b"), TrialStatus.Running, "n1/slot-0", 1, T0.AddSeconds(1))]);

        var extended = first.Append(Trial("e")).Append(Trial("d")).ToList();
        var renamed = Sweep(spec: "spec: 2") with { Name = "another name", CreatedAt = T0.AddDays(1) };
        (await Store.RegisterSweepAsync(renamed, extended)).Should().Be(2);

        (await Store.ListTrialsAsync(new SweepId("s1"))).Select(t => t.Id).Should().Equal(new TrialId("b"), new TrialId("a"), new TrialId("c"), new TrialId("e"), new TrialId("d"));
        var sweep = await Store.GetSweepAsync(new SweepId("s1"));
        sweep.Should().Be(Sweep() with { SpecYaml = "spec: 2" }, "the sweep is kept, only its spec is refreshed");
        (await Store.GetTrialAsync(new TrialId("b"))).Should().Be(
            Trial("b") with { Status = TrialStatus.Running, AssignedTo = "n1/slot-0", Attempts = 1, UpdatedAt = T0.AddSeconds(1) },
            "re-registering leaves existing trials as they are");
    }

    [SuiteFact]
    public async Task Registered_trials_keep_the_status_assignment_and_attempts_they_are_registered_with()
    {
        var running = Trial("r") with { Status = TrialStatus.Running, AssignedTo = "n2/slot-3", Attempts = 4, UpdatedAt = Odd() };
        var failed = Trial("f") with { Status = TrialStatus.Failed, Attempts = 2 };
        (await Store.RegisterSweepAsync(Sweep(), [running, failed])).Should().Be(2);

        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().Equal(running, failed);
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
        (await Store.GetSweepAsync(new SweepId("nope"))).Should().BeNull();
        (await Store.GetTrialAsync(new TrialId("nope"))).Should().BeNull();
        (await Store.ListTrialsAsync(new SweepId("nope"))).Should().BeEmpty();
        (await Store.IsSweepCancelledAsync(new SweepId("nope"))).Should().BeFalse();
    }

    [SuiteFact]
    public async Task Sweeps_are_listed_in_registration_order_and_trials_round_trip()
    {
        await Store.RegisterSweepAsync(Sweep("zz"), [Trial("zz-1", "zz")]);
        await Store.RegisterSweepAsync(Sweep("aa"), [Trial("aa-1", "aa")]);

        (await Store.ListSweepsAsync()).Select(s => s.Id).Should().Equal(new SweepId("zz"), new SweepId("aa"));
        (await Store.GetTrialAsync(new TrialId("aa-1"))).Should().Be(Trial("aa-1", "aa"));
        (await Store.ListTrialsAsync(new SweepId("zz"))).Should().Equal(Trial("zz-1", "zz"));
    }

    [SuiteFact]
    public async Task Times_round_trip_as_the_same_instant()
    {
        var odd = Odd();
        await Store.RegisterSweepAsync(Sweep() with { CreatedAt = odd }, [Trial("t") with { UpdatedAt = odd }]);

        (await Store.GetSweepAsync(new SweepId("s1")))!.CreatedAt.Should().Be(odd);
        (await Store.GetTrialAsync(new TrialId("t")))!.UpdatedAt.Should().Be(odd);

        var later = odd.AddTicks(1);
        await Store.UpdateTrialsAsync([new TrialRowUpdate(new TrialId("t"), TrialStatus.Running, "w", 1, later)]);
        (await Store.GetTrialAsync(new TrialId("t")))!.UpdatedAt.UtcTicks.Should().Be(later.UtcTicks, "one tick apart is still apart");
    }

    [SuiteFact]
    public async Task A_registration_that_fails_midway_leaves_nothing_behind()
    {
        var broken = Trial("t3") with { SpecJson = null! };
        var act = () => Store.RegisterSweepAsync(Sweep(), [Trial("t1"), Trial("t2"), broken]);

        await act.Should().ThrowAsync<Exception>();
        (await Store.GetSweepAsync(new SweepId("s1"))).Should().BeNull();
        (await Store.GetTrialAsync(new TrialId("t1"))).Should().BeNull();
        (await Store.RegisterSweepAsync(Sweep(), [Trial("t1"), Trial("t2")])).Should().Be(2);
    }

    // ---- the coordinator's view, projected ----

    [SuiteFact]
    public async Task A_batch_of_updates_round_trips_status_assignment_attempts_and_time_of_each_trial()
    {
        var seeded = await SeedAsync(5);
        await SeedAsync(1, "other");

        var updates = new[]
        {
            new TrialRowUpdate(new TrialId("s1-t001"), TrialStatus.Running, "n1/slot-0", 1, Odd(1)),
            new TrialRowUpdate(new TrialId("s1-t002"), TrialStatus.Completed, null, 2, Odd(2).AddTicks(1)),
            new TrialRowUpdate(new TrialId("s1-t003"), TrialStatus.Failed, null, 3, Odd(3).AddTicks(9)),
            new TrialRowUpdate(new TrialId("s1-t005"), TrialStatus.Cancelled, "n2/slot-1", 7, new DateTimeOffset(2030, 12, 31, 23, 59, 59, TimeSpan.FromHours(-5)).AddTicks(9_999_999)),
        };
        await Store.UpdateTrialsAsync(updates);

        var expected = seeded.Select(t => updates.SingleOrDefault(u => u.TrialId == t.Id) is { } u
            ? t with { Status = u.Status, AssignedTo = u.AssignedTo, Attempts = u.Attempts, UpdatedAt = u.UpdatedAt }
            : t).ToList();
        var stored = await Store.ListTrialsAsync(new SweepId("s1"));
        stored.Should().Equal(expected, "only the projected columns change, and only of the trials named");
        stored.Select(t => t.UpdatedAt.UtcTicks).Should().Equal(expected.Select(t => t.UpdatedAt.UtcTicks), "full tick precision");
        (await Store.GetTrialAsync(new TrialId("s1-t004"))).Should().Be(seeded[3], "a trial not in the batch is untouched");
        (await Store.ListTrialsAsync(new SweepId("other"))).Should().Equal(Trial("other-t001", "other"));
    }

    [SuiteFact]
    public async Task A_later_batch_replaces_the_earlier_view_and_can_clear_the_assignment()
    {
        await SeedAsync(2);
        await Store.UpdateTrialsAsync(
        [
            new TrialRowUpdate(new TrialId("s1-t001"), TrialStatus.Running, "n1/slot-0", 1, T0.AddSeconds(1)),
            new TrialRowUpdate(new TrialId("s1-t002"), TrialStatus.Running, "n1/slot-1", 1, T0.AddSeconds(1)),
        ]);
        await Store.UpdateTrialsAsync(
        [
            new TrialRowUpdate(new TrialId("s1-t001"), TrialStatus.Pending, null, 1, T0.AddSeconds(2)),
            new TrialRowUpdate(new TrialId("s1-t002"), TrialStatus.Running, "n3/slot-0", 2, T0.AddSeconds(3)),
        ]);

        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().Equal(
            Trial("s1-t001") with { Status = TrialStatus.Pending, AssignedTo = null, Attempts = 1, UpdatedAt = T0.AddSeconds(2) },
            Trial("s1-t002") with { Status = TrialStatus.Running, AssignedTo = "n3/slot-0", Attempts = 2, UpdatedAt = T0.AddSeconds(3) });
    }

    [SuiteFact]
    public async Task Updates_of_unknown_trial_ids_are_skipped_without_error()
    {
        var seeded = await SeedAsync(2);

        await Store.UpdateTrialsAsync(
        [
            new TrialRowUpdate(new TrialId("ghost-1"), TrialStatus.Running, "n1/slot-0", 1, T0.AddSeconds(1)),
            new TrialRowUpdate(new TrialId("s1-t002"), TrialStatus.Completed, null, 1, T0.AddSeconds(2)),
            new TrialRowUpdate(new TrialId("ghost-2"), TrialStatus.Failed, null, 5, T0.AddSeconds(3)),
        ]);
        await Store.UpdateTrialsAsync([new TrialRowUpdate(new TrialId("only-a-ghost"), TrialStatus.Completed, null, 1, T0)]);

        (await Store.GetTrialAsync(new TrialId("ghost-1"))).Should().BeNull("an update never creates a trial");
        (await Store.GetTrialAsync(new TrialId("ghost-2"))).Should().BeNull();
        (await Store.GetTrialAsync(new TrialId("only-a-ghost"))).Should().BeNull();
        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().Equal(
            seeded[0], seeded[1] with { Status = TrialStatus.Completed, Attempts = 1, UpdatedAt = T0.AddSeconds(2) });
    }

    [SuiteFact]
    public async Task An_empty_batch_is_a_no_op()
    {
        var seeded = await SeedAsync(2);

        await Store.UpdateTrialsAsync([]);
        await Store.UpdateTrialsAsync(Array.Empty<TrialRowUpdate>());

        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().Equal(seeded);
    }

    [SuiteFact]
    public async Task A_batch_is_checked_before_anything_is_written()
    {
        var seeded = await SeedAsync(2);

        var nullBatch = () => Store.UpdateTrialsAsync(null!);
        await nullBatch.Should().ThrowAsync<ArgumentNullException>();
        var noId = () => Store.UpdateTrialsAsync(
        [
            new TrialRowUpdate(new TrialId("s1-t001"), TrialStatus.Completed, null, 1, T0.AddSeconds(1)),
            new TrialRowUpdate(new TrialId(""), TrialStatus.Completed, null, 1, T0.AddSeconds(1)),
        ]);
        await noId.Should().ThrowAsync<ArgumentException>();

        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().Equal(seeded);
    }

    [SuiteFact]
    public async Task A_batch_that_fails_midway_writes_nothing()
    {
        const int count = 2_500; // more than one statement's worth where a store splits a batch
        var seeded = await SeedAsync(count);
        var updates = seeded.Select((t, i) => new TrialRowUpdate(t.Id, TrialStatus.Completed, null, 1, T0.AddSeconds(i))).ToList();
        updates[^1] = updates[^1] with { Status = (TrialStatus)42 }; // the database refuses a status it does not know

        var act = () => Store.UpdateTrialsAsync(updates);

        await act.Should().ThrowAsync<Exception>();
        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().Equal(seeded, "the batch is one transaction");
    }

    [SuiteFact]
    public async Task A_batch_of_several_thousand_updates_is_written_in_full()
    {
        const int count = 5_000;
        var seeded = await SeedAsync(count);
        var statuses = Enum.GetValues<TrialStatus>();
        var updates = seeded.Select((t, i) => new TrialRowUpdate(
            t.Id, statuses[i % statuses.Length], i % 3 == 0 ? null : $"n{i % 7}/slot-{i % 4}", i % 11, Odd(i).AddTicks(i))).ToList();

        await Store.UpdateTrialsAsync(updates);

        var stored = await Store.ListTrialsAsync(new SweepId("s1"));
        stored.Should().HaveCount(count);
        stored.Should().Equal(seeded.Zip(updates, (t, u) =>
            t with { Status = u.Status, AssignedTo = u.AssignedTo, Attempts = u.Attempts, UpdatedAt = u.UpdatedAt }));
        stored.Select(t => t.UpdatedAt.UtcTicks).Should().Equal(updates.Select(u => u.UpdatedAt.UtcTicks));
    }

    [SuiteFact]
    public async Task Concurrent_batches_of_different_trials_all_land()
    {
        var seeded = await SeedAsync(40);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = seeded.Chunk(5).Select((chunk, i) => Task.Run(async () =>
        {
            await start.Task;
            await Store.UpdateTrialsAsync(chunk.Select(t => new TrialRowUpdate(t.Id, TrialStatus.Running, $"n{i}/slot-0", 1, T0.AddSeconds(i))).ToList());
        })).ToList();
        start.SetResult();
        await Task.WhenAll(writers);

        var stored = await Store.ListTrialsAsync(new SweepId("s1"));
        stored.Should().OnlyContain(t => t.Status == TrialStatus.Running && t.Attempts == 1);
        stored.Select(t => t.AssignedTo).Should().Equal(Enumerable.Range(0, 40).Select(i => $"n{i / 5}/slot-0"));
    }

    // ---- the cancelled flag ----

    [SuiteFact]
    public async Task Cancelling_a_sweep_only_records_the_flag_and_leaves_its_trials_as_they_are()
    {
        await SeedAsync(3);
        await SeedAsync(1, "other");
        await Store.UpdateTrialsAsync([new TrialRowUpdate(new TrialId("s1-t001"), TrialStatus.Running, "n1/slot-0", 1, T0.AddSeconds(1))]);
        var before = await Store.ListTrialsAsync(new SweepId("s1"));
        (await Store.IsSweepCancelledAsync(new SweepId("s1"))).Should().BeFalse("a sweep is not cancelled until someone says so");

        (await Store.SetSweepCancelledAsync(new SweepId("s1"), true, T0.AddSeconds(2))).Should().BeTrue();
        (await Store.IsSweepCancelledAsync(new SweepId("s1"))).Should().BeTrue();
        (await Store.IsSweepCancelledAsync(new SweepId("other"))).Should().BeFalse("the flag is per sweep");
        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().Equal(before, "the coordinator, not the store, decides what cancelling does to trials");

        (await Store.SetSweepCancelledAsync(new SweepId("s1"), true, T0.AddSeconds(3))).Should().BeTrue("setting it twice is harmless");
        (await Store.IsSweepCancelledAsync(new SweepId("s1"))).Should().BeTrue();

        (await Store.SetSweepCancelledAsync(new SweepId("s1"), false, T0.AddSeconds(4))).Should().BeTrue();
        (await Store.IsSweepCancelledAsync(new SweepId("s1"))).Should().BeFalse();
        (await Store.ListTrialsAsync(new SweepId("s1"))).Should().Equal(before);
        (await Store.ListTrialsAsync(new SweepId("other"))).Should().Equal(Trial("other-t001", "other"));
    }

    [SuiteFact]
    public async Task Cancelling_an_unknown_sweep_returns_false_and_records_nothing()
    {
        await SeedAsync(1);

        (await Store.SetSweepCancelledAsync(new SweepId("nope"), true, T0)).Should().BeFalse();
        (await Store.IsSweepCancelledAsync(new SweepId("nope"))).Should().BeFalse();
        (await Store.GetSweepAsync(new SweepId("nope"))).Should().BeNull("cancelling does not create a sweep");
        (await Store.IsSweepCancelledAsync(new SweepId("s1"))).Should().BeFalse();
    }

    [SuiteFact]
    public async Task The_cancelled_flag_survives_re_registering_the_sweep()
    {
        await SeedAsync(1);
        (await Store.SetSweepCancelledAsync(new SweepId("s1"), true, T0)).Should().BeTrue();

        await Store.RegisterSweepAsync(Sweep(spec: "spec: 2"), [Trial("s1-t001"), Trial("s1-t002")]);

        (await Store.IsSweepCancelledAsync(new SweepId("s1"))).Should().BeTrue();
    }

    // ---- migration from the schema before Akka.Cluster ----

    [SuiteFact]
    public async Task A_database_of_the_old_schema_opens_migrated_and_keeps_its_trials()
    {
        var sweep = Sweep("old") with { CreatedAt = Odd() };
        var legacyTrials = new[]
        {
            new LegacyTrial("old-1", "old", """{"trial":1}""", "Running", "n1/slot-0", 3, Odd(60), 3, Odd(1)),
            new LegacyTrial("old-2", "old", """{"trial":2}""", "Completed", null, 1, null, 1, Odd(2)),
            new LegacyTrial("old-3", "old", """{"trial":3}""", "Pending", null, 0, null, 0, Odd(3)),
            new LegacyTrial("old-4", "old", """{"trial":4}""", "Failed", "n2/slot-1", 2, Odd(90), 2, Odd(4)),
        };
        await using var legacy = await CreateLegacyDatabaseAsync(sweep, legacyTrials, cancelled: true);
        (await legacy.TablesAsync()).Should().Contain(["nodes", "leader"], "the old schema has them");
        (await legacy.SchemaVersionsAsync()).Should().Equal(Enumerable.Range(1, legacy.LegacyVersion).Select(v => (long)v));
        legacy.LatestVersion.Should().BeGreaterThan(legacy.LegacyVersion);

        await using (var store = await legacy.OpenStoreAsync())
        {
            // Listed in the order registered, through the rebuild of the trials table that let a trial end diverged.
            (await store.GetSweepAsync(new SweepId("old"))).Should().Be(sweep);
            (await store.IsSweepCancelledAsync(new SweepId("old"))).Should().BeTrue("the sweep_controls rows are kept");
            (await store.ListTrialsAsync(new SweepId("old"))).Should().Equal(
                new TrialRecord(new TrialId("old-1"), new SweepId("old"), """{"trial":1}""", TrialStatus.Running, "n1/slot-0", 3, Odd(1)),
                new TrialRecord(new TrialId("old-2"), new SweepId("old"), """{"trial":2}""", TrialStatus.Completed, null, 1, Odd(2)),
                new TrialRecord(new TrialId("old-3"), new SweepId("old"), """{"trial":3}""", TrialStatus.Pending, null, 0, Odd(3)),
                new TrialRecord(new TrialId("old-4"), new SweepId("old"), """{"trial":4}""", TrialStatus.Failed, "n2/slot-1", 2, Odd(4)));

            var tables = await legacy.TablesAsync();
            tables.Should().NotContain("nodes").And.NotContain("leader");
            tables.Should().Contain(["sweeps", "trials", "sweep_controls", "schema_version"]);
            var columns = await legacy.ColumnsAsync("trials");
            columns.Should().Contain("assigned_to").And.NotContain(["lease_owner", "lease_epoch", "lease_expires_at"]);
            (await legacy.SchemaVersionsAsync()).Should().Equal(Enumerable.Range(1, legacy.LatestVersion).Select(v => (long)v),
                "only the new step ran, once");

            // The migrated database is a working store.
            await store.UpdateTrialsAsync([new TrialRowUpdate(new TrialId("old-1"), TrialStatus.Completed, null, 3, Odd(5)),
                new TrialRowUpdate(new TrialId("old-3"), TrialStatus.Diverged, null, 1, Odd(5))]);
            (await store.RegisterSweepAsync(sweep, [Trial("old-5", "old")])).Should().Be(1);
            (await store.SetSweepCancelledAsync(new SweepId("old"), false, Odd(6))).Should().BeTrue();
            await store.MigrateAsync();
        }

        await using var reopened = await legacy.OpenStoreAsync();
        (await reopened.ListTrialsAsync(new SweepId("old"))).Select(t => (t.Id.Value, t.Status, t.AssignedTo)).Should().Equal(
            ("old-1", TrialStatus.Completed, null), ("old-2", TrialStatus.Completed, null), ("old-3", TrialStatus.Diverged, null),
            ("old-4", TrialStatus.Failed, "n2/slot-1"), ("old-5", TrialStatus.Pending, null));
        (await reopened.IsSweepCancelledAsync(new SweepId("old"))).Should().BeFalse();
        (await legacy.SchemaVersionsAsync()).Should().HaveCount(legacy.LatestVersion);
    }
}

/// <summary>A trial row of the old schema, lease columns and all.</summary>
public sealed record LegacyTrial(
    string Id,
    string SweepId,
    string SpecJson,
    string Status,
    string? LeaseOwner,
    long LeaseEpoch,
    DateTimeOffset? LeaseExpiresAt,
    int Attempts,
    DateTimeOffset UpdatedAt);

/// <summary>A database created with the old schema, and a look at its tables from outside the store.</summary>
public abstract class LegacyDatabase : IAsyncDisposable
{
    /// <summary>The last schema version of the old schema, as recorded in the database.</summary>
    public abstract int LegacyVersion { get; }

    /// <summary>The schema version the current store migrates to.</summary>
    public abstract int LatestVersion { get; }

    /// <summary>Opens (and so migrates) the database with the current store. The caller disposes it.</summary>
    public abstract Task<ISweepCatalogue> OpenStoreAsync();

    public abstract Task<IReadOnlyList<string>> TablesAsync();

    public abstract Task<IReadOnlyList<string>> ColumnsAsync(string table);

    /// <summary>The versions recorded in <c>schema_version</c>, ascending, repeats included.</summary>
    public abstract Task<IReadOnlyList<long>> SchemaVersionsAsync();

    public abstract ValueTask DisposeAsync();
}
