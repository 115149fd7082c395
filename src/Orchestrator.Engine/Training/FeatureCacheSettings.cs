namespace Orchestrator.Engine.Training;

/// <summary>How much one trainer's frozen-prefix feature cache may hold in memory, and where it spills beyond that
/// (an unlinked file, so nothing is left behind; null: memory only).</summary>
public sealed record FeatureCacheSettings(long MemoryBytes, string? SpillDirectory)
{
    /// <summary>Half of the memory available now (MemAvailable), shared by <paramref name="trainers"/> trainers, or
    /// <paramref name="totalMebibytes"/> when given; spilling into the temporary folder.</summary>
    public static FeatureCacheSettings For(int trainers, long? totalMebibytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainers);
        var total = totalMebibytes is { } mb ? mb * 1024 * 1024 : AvailableMemoryBytes() / 2;
        return new FeatureCacheSettings(Math.Max(0, total / trainers), Path.GetTempPath().TrimEnd('/'));
    }

    private static long AvailableMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan(13).Trim().TrimEnd("kB").Trim(), out var kib))
                    return kib * 1024;
        }
        catch (IOException)
        {
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
