using Npgsql;
using Orchestrator.Catalogue.Leases;
using Orchestrator.Testing;

namespace Orchestrator.Catalogue.Tests;

/// <summary>The coordinator lease of a store: one holder at a time, its contact readable by others, released when the
/// holder lets go (or its session ends), and a stale contact never taken for a live one.</summary>
public sealed class CoordinatorLeaseTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Sqlite_store_one_holder_at_a_time_with_its_contact_released_on_dispose()
    {
        using var dir = new TempDir("lease-");
        await OneHolderAtATimeAsync(StoreUrl.Parse("sqlite:" + dir.File("store.db")));
    }

    [PostgresFact]
    public async Task Postgres_store_one_holder_at_a_time_with_its_contact_released_on_dispose()
    {
        var url = await PostgresTestServer.CreateDatabaseAsync("lease");
        try
        {
            await (await StoreFactory.OpenAsync(url)).DisposeAsync(); // the schema
            await OneHolderAtATimeAsync(StoreUrl.Parse(url));
        }
        finally
        {
            await PostgresTestServer.DropDatabaseAsync(url);
        }
    }

    [PostgresFact]
    public async Task Postgres_lease_whose_session_was_killed_is_taken_again_unless_another_took_it_first()
    {
        var url = await PostgresTestServer.CreateDatabaseAsync("lease");
        try
        {
            await (await StoreFactory.OpenAsync(url)).DisposeAsync();
            var location = StoreUrl.Parse(url);
            await using var holder = CoordinatorLeases.For(location);
            await using var other = CoordinatorLeases.For(location);
            (await holder.TryAcquireAsync()).Should().BeTrue();
            await holder.PublishAsync(new CoordinatorHolder("127.0.0.1:4053", 1, "box", T0));

            await KillLeaseSessionsAsync(url);
            (await holder.ConfirmAsync()).Should().BeTrue("no one else took it: the holder takes it again");
            (await other.TryAcquireAsync()).Should().BeFalse();
            (await other.ReadHolderAsync())!.Address.Should().Be("127.0.0.1:4053", "the holder's contact survives its session");

            await KillLeaseSessionsAsync(url);
            (await other.TryAcquireAsync()).Should().BeTrue("the lock went with the killed session");
            (await holder.ConfirmAsync()).Should().BeFalse("another process holds it now");
        }
        finally
        {
            await PostgresTestServer.DropDatabaseAsync(url);
        }
    }

    private static async Task OneHolderAtATimeAsync(StoreLocation location)
    {
        var first = CoordinatorLeases.For(location);
        await using var second = CoordinatorLeases.For(location);

        (await second.HeldByAnotherAsync()).Should().BeFalse("no one holds it yet");
        (await first.TryAcquireAsync()).Should().BeTrue();
        (await first.TryAcquireAsync()).Should().BeTrue("taking a lease it holds is a no-op");
        (await second.HeldByAnotherAsync()).Should().BeTrue("a live coordinator holds it elsewhere");
        (await first.HeldByAnotherAsync()).Should().BeFalse("the holder itself");
        (await first.ReadHolderAsync()).Should().BeNull("no contact until the holder publishes one");
        await first.PublishAsync(new CoordinatorHolder("127.0.0.1:41234", 4242, "box-a", T0));

        (await second.TryAcquireAsync()).Should().BeFalse();
        second.IsHeld.Should().BeFalse();
        (await second.ReadHolderAsync()).Should().Be(new CoordinatorHolder("127.0.0.1:41234", 4242, "box-a", T0));
        (await first.ConfirmAsync()).Should().BeTrue();
        var publish = () => second.PublishAsync(new CoordinatorHolder("127.0.0.1:1", 1, "box-b", T0));
        await publish.Should().ThrowAsync<InvalidOperationException>("only the holder says where the coordinator runs");

        await first.DisposeAsync();
        (await second.HeldByAnotherAsync()).Should().BeFalse("the holder let go");
        (await second.ReadHolderAsync()).Should().BeNull("a holder that let go leaves no contact behind");
        (await second.TryAcquireAsync()).Should().BeTrue();
        (await second.ReadHolderAsync()).Should().BeNull();
    }

    private static async Task KillLeaseSessionsAsync(string url)
    {
        var database = new NpgsqlConnectionStringBuilder(Orchestrator.Catalogue.Postgres.PostgresTarget.Parse(url).ConnectionString()).Database;
        await using var conn = new NpgsqlConnection(Orchestrator.Catalogue.Postgres.PostgresTarget.Parse(url).ConnectionString());
        await conn.OpenAsync();
        await using var kill = new NpgsqlCommand("""
            SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE l.locktype = 'advisory' AND d.datname = @d AND l.pid <> pg_backend_pid();
            """, conn);
        kill.Parameters.AddWithValue("d", database!);
        await kill.ExecuteNonQueryAsync();
        await Task.Delay(200);
    }
}
