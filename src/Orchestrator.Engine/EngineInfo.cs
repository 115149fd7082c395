using Orchestrator.Engine.Interop;

namespace Orchestrator.Engine;

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
}
