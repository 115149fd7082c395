using System.Text.Json;

namespace Orchestrator.Catalogue.Leases;

/// <summary>
/// The coordinator lease of a SQLite store: an exclusive lock (flock, which .NET takes for <see cref="FileShare.None"/>)
/// on <c>STORE.coordinator.lock</c>, released by the kernel when the process ends however it ends; the holder's
/// contact is in <c>STORE.coordinator.json</c>, removed when the lease is taken and written again by the new holder.
/// </summary>
public sealed class FileCoordinatorLease(string databasePath) : ICoordinatorLease
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _lockPath = databasePath + ".coordinator.lock";
    private readonly string _holderPath = databasePath + ".coordinator.json";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FileStream? _lock;

    public string Store => "sqlite:" + databasePath;

    public bool IsHeld => _lock is not null;

    public async Task<bool> TryAcquireAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_lock is not null) return true;
            Directory.CreateDirectory(Path.GetDirectoryName(_lockPath)!);
            try
            {
                _lock = new FileStream(_lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                return false; // another process holds it
            }
            // The contact of an earlier holder (gone, or it would hold the lock) is stale.
            File.Delete(_holderPath);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Probes with a shared lock, which the holder's exclusive one refuses; the probe lasts microseconds.</summary>
    public Task<bool> HeldByAnotherAsync(CancellationToken ct = default)
    {
        if (_lock is not null || !File.Exists(_lockPath)) return Task.FromResult(false);
        try
        {
            using var probe = new FileStream(_lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return Task.FromResult(false);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException))
        {
            return Task.FromResult(true);
        }
    }

    public async Task PublishAsync(CoordinatorHolder holder, CancellationToken ct = default)
    {
        if (_lock is null) throw new InvalidOperationException($"{Store}: this process does not hold the coordinator lease");
        var temp = $"{_holderPath}.{Environment.ProcessId}.tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(holder, Json), ct).ConfigureAwait(false);
        File.Move(temp, _holderPath, overwrite: true);
    }

    public async Task<CoordinatorHolder?> ReadHolderAsync(CancellationToken ct = default)
    {
        try
        {
            return JsonSerializer.Deserialize<CoordinatorHolder>(await File.ReadAllTextAsync(_holderPath, ct).ConfigureAwait(false), Json);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }

    /// <summary>A file lock is lost only with the process.</summary>
    public Task<bool> ConfirmAsync(CancellationToken ct = default) => Task.FromResult(_lock is not null);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_lock is null) return;
            // The contact goes first: a process that finds the lock free then finds no stale contact either.
            File.Delete(_holderPath);
            await _lock.DisposeAsync().ConfigureAwait(false);
            _lock = null;
        }
        finally
        {
            _gate.Release();
        }
    }
}
