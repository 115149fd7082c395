namespace Orchestrator.Nemesis;

/// <summary>
/// The network of a `--netns` run (scripts/netns-lab.sh, root only): every node in a network namespace of its own,
/// joined to one bridge; the harness's own namespace is on the bridge too (<see cref="RootAddress"/>), so that it
/// reaches the nodes, and PostgreSQL listens there. A partition unplugs one node's link: it reaches neither the other
/// nodes nor the database until it is plugged back in. Its subnet is not the partition test's, so both can run at once.
/// </summary>
public sealed class NetworkLab : IAsyncDisposable
{
    public const string Subnet = "10.232.0";
    private const string Root = "root";

    private readonly string _script;
    private readonly string[] _members;
    private readonly Dictionary<string, string> _addresses;

    private NetworkLab(string script, string prefix, string[] members, Dictionary<string, string> addresses)
    {
        _script = script;
        Prefix = prefix;
        _members = members;
        _addresses = addresses;
    }

    public string Prefix { get; }
    public string RootAddress => _addresses[Root];

    public static bool Usable(out string why)
    {
        why = Environment.UserName != "root" ? "--netns needs root (ip netns)"
            : !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") ? "--netns needs the `ip` command (iproute2)"
            : "";
        return why.Length == 0;
    }

    /// <summary>Makes the lab: the harness's namespace first (.1), then one namespace per member, in order.</summary>
    public static async Task<NetworkLab> UpAsync(string scripts, IReadOnlyList<string> members)
    {
        var script = Path.Combine(scripts, "netns-lab.sh");
        var prefix = "n" + Guid.NewGuid().ToString("N")[..4];
        string[] all = [Root, .. members];
        var printed = await Cluster.ShellAsync(script, ["up", prefix, .. all], TimeSpan.FromSeconds(60), "network lab up", SubnetVariable());
        var addresses = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        if (!all.All(addresses.ContainsKey))
            throw new HarnessException($"netns-lab.sh up printed no address for every node: {printed}");
        return new NetworkLab(script, prefix, all, addresses);
    }

    public string AddressOf(string member) => _addresses[member];
    public string NamespaceOf(string member) => $"{Prefix}-{member}";

    public Task CutAsync(string member) => Cluster.ShellAsync(_script, ["cut", Prefix, member], TimeSpan.FromSeconds(30), $"cut {member}", SubnetVariable());
    public Task HealAsync(string member) => Cluster.ShellAsync(_script, ["heal", Prefix, member], TimeSpan.FromSeconds(30), $"heal {member}", SubnetVariable());

    public async ValueTask DisposeAsync() =>
        await Cluster.ShellAsync(_script, ["down", Prefix, .. _members], TimeSpan.FromSeconds(60), "network lab down", SubnetVariable());

    /// <summary>Best effort, synchronously, as the harness itself is ended (Ctrl+C, SIGTERM).</summary>
    public void TearDownNow()
    {
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo(_script) { UseShellExecute = false };
            foreach (var a in new[] { "down", Prefix }.Concat(_members)) info.ArgumentList.Add(a);
            info.Environment["NETNS_SUBNET"] = Subnet;
            using var p = System.Diagnostics.Process.Start(info);
            p?.WaitForExit(10_000);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    private static Dictionary<string, string> SubnetVariable() => new() { ["NETNS_SUBNET"] = Subnet };
}
