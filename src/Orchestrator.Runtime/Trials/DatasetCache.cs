using System.Collections.Concurrent;
using Orchestrator.Domain.Training;

namespace Orchestrator.Runtime.Trials;

/// <summary>Opens each packed dataset once per process; worker slots share the read-only memory map.</summary>
public sealed class DatasetCache(Func<string, IPackedDataset> open) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IPackedDataset>> _open = new(StringComparer.Ordinal);

    public IPackedDataset Get(string directory) =>
        _open.GetOrAdd(Path.GetFullPath(directory), dir => new Lazy<IPackedDataset>(() => open(dir))).Value;

    public void Dispose()
    {
        foreach (var entry in _open.Values)
            if (entry.IsValueCreated) entry.Value.Dispose();
        _open.Clear();
    }
}
