using Orchestrator.Domain.Training;
using Orchestrator.Engine.Interop;

namespace Orchestrator.Engine;

/// <summary>What the native engine was built against and which devices it sees.</summary>
public sealed record EngineFacts(string LibtorchVersion, bool CudaBuilt, bool CudaAvailable, IReadOnlyList<string> Devices);

/// <summary>The process's CPU tensor allocator: allocations served from kept blocks, allocations that went to the
/// system, and the kept blocks not in use, with their limit.</summary>
public sealed record CpuAllocatorStats(long Reused, long Fresh, long IdleBytes, long IdleLimit);

/// <summary>Facts about the native engine that need no model instance.</summary>
public static class EngineInfo
{
    /// <summary>Number of backbone groups L the engine defines for an architecture.</summary>
    public static int GroupCount(string architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        NativeMethods.Check(NativeMethods.ote_group_count(architecture, out var groups));
        return groups;
    }

    /// <summary>Sets libtorch's intra-op thread count for the whole process.</summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        NativeMethods.Check(NativeMethods.ote_set_num_threads(threads));
    }

    public static unsafe EngineFacts Facts()
    {
        NativeMethods.Check(NativeMethods.ote_engine_info(out var info));
        var version = new string((sbyte*)info.LibtorchVersion);
        var names = new List<string>();
        var buffer = stackalloc byte[256];
        for (var i = 0; i < info.DeviceCount; i++)
        {
            NativeMethods.Check(NativeMethods.ote_device_name(i, buffer, 256));
            names.Add(new string((sbyte*)buffer));
        }
        return new EngineFacts(version, info.CudaBuilt != 0, info.CudaAvailable != 0, names);
    }

    public static CpuAllocatorStats CpuAllocator()
    {
        NativeMethods.Check(NativeMethods.ote_cpu_allocator_stats(out var s));
        return new CpuAllocatorStats(s.Reused, s.Fresh, s.IdleBytes, s.IdleLimit);
    }

    /// <summary>At most this many bytes of freed tensor memory are kept for reuse; lowering it frees the rest at once.</summary>
    public static void SetCpuAllocatorIdleLimit(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        NativeMethods.Check(NativeMethods.ote_set_cpu_allocator_idle_limit(bytes));
    }

    /// <summary>Refuses a device this build or machine lacks: <see cref="EngineException"/> (invalid input) saying why.</summary>
    public static void CheckDevice(ComputeDevice device) =>
        NativeMethods.Check(NativeMethods.ote_check_device(device.ToString()));
}
