using Orchestrator.Catalogue.Postgres;

namespace Orchestrator.Catalogue.Leases;

/// <summary>The process that hosts a store's sweep coordinator: where its cluster node listens (host:port) and which
/// process it is, for a later process to join it or to name it when it cannot.</summary>
public sealed record CoordinatorHolder(string Address, int ProcessId, string Host, DateTimeOffset Since)
{
    public override string ToString() => $"process {ProcessId} on {Host} (cluster node {Address}, since {Since:u})";

    public static CoordinatorHolder OfThisProcess(string address, DateTimeOffset now) =>
        new(address, Environment.ProcessId, Environment.MachineName, now);
}

/// <summary>
/// The right to host a store's sweep coordinator. The coordinator's journal has one persistence id per store, so at
/// most one process may write it: the process that takes this lease holds it until it exits (the operating system
/// or the database gives it up when the process dies, kill -9 included), and publishes where its node can be
/// joined. A later process on the same store finds the holder and joins its cluster instead of starting a second
/// coordinator.
/// </summary>
public interface ICoordinatorLease : IAsyncDisposable
{
    /// <summary>The store, for messages.</summary>
    string Store { get; }

    /// <summary>Whether this process holds the lease now (as far as it knows).</summary>
    bool IsHeld { get; }

    /// <summary>Takes the lease if no process holds it. True when this process holds it (now, or already).</summary>
    Task<bool> TryAcquireAsync(CancellationToken ct = default);

    /// <summary>Records where the holder (this process) can be reached.</summary>
    /// <exception cref="InvalidOperationException">This process does not hold the lease.</exception>
    Task PublishAsync(CoordinatorHolder holder, CancellationToken ct = default);

    /// <summary>The holder as last published, or null when none has published since the lease was last taken.</summary>
    Task<CoordinatorHolder?> ReadHolderAsync(CancellationToken ct = default);

    /// <summary>Whether another process holds the lease now (a live coordinator of this store elsewhere). Takes nothing.</summary>
    Task<bool> HeldByAnotherAsync(CancellationToken ct = default);

    /// <summary>For a held lease: false when it has been lost (a database session that ended, and another process has
    /// taken the lease since). Takes it again when the session ended and no one else holds it.</summary>
    Task<bool> ConfirmAsync(CancellationToken ct = default);
}

public static class CoordinatorLeases
{
    /// <summary>The lease of the store at <paramref name="location"/>: a lock on a file beside a SQLite store, a
    /// session-level advisory lock in a PostgreSQL store.</summary>
    public static ICoordinatorLease For(StoreLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Kind switch
        {
            StoreKind.Sqlite => new FileCoordinatorLease(location.DatabasePath),
            StoreKind.Postgres => new PostgresCoordinatorLease(location.Postgres!),
            _ => throw new NotSupportedException($"store kind {location.Kind}"),
        };
    }
}
