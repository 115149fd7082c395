using System.Diagnostics;

namespace Orchestrator.Runtime.Membership;

/// <summary>
/// Who holds a lease: host, process id and process start time, so that a lease left behind by a killed
/// process on this host can be recognised at once (the pid is dead, or reused by a process started later).
/// </summary>
public sealed record NodeIdentity(string Host, int Pid, long StartedTicks)
{
    public static NodeIdentity Current { get; } = Create();

    public string Id => $"{Host}:{Pid}:{StartedTicks}";

    public string SlotOwner(string slot) => $"{Id}/{slot}";

    private static NodeIdentity Create()
    {
        using var self = Process.GetCurrentProcess();
        return new NodeIdentity(Environment.MachineName, self.Id, self.StartTime.ToUniversalTime().Ticks);
    }

    /// <summary>True when <paramref name="owner"/> names a process of this host that no longer runs.</summary>
    public bool IsDeadLocalOwner(string? owner)
    {
        if (owner is null) return false;
        var node = owner.Split('/')[0].Split(':');
        if (node.Length != 3 || node[0] != Host || !int.TryParse(node[1], out var pid) || !long.TryParse(node[2], out var started))
            return false;
        if (pid == Pid && started == StartedTicks) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks != started;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
