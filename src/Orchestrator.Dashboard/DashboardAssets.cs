using System.Collections.Frozen;
using System.Reflection;

namespace Orchestrator.Dashboard;

/// <summary>A file the dashboard serves at /assets/NAME.</summary>
public sealed record DashboardAsset(byte[] Content, string ContentType);

/// <summary>
/// The charting library's files (uPlot, MIT), served by the dashboard itself at /assets/NAME: npm installs the version
/// pinned in package-lock.json at build time and the build embeds them (build/dashboard-assets.targets), so
/// nothing is fetched from anywhere at run time.
/// </summary>
public static class DashboardAssets
{
    public const string ChartScript = "/assets/uPlot.iife.min.js";
    public const string ChartStyle = "/assets/uPlot.min.css";

    private static readonly FrozenDictionary<string, DashboardAsset> Files = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["uPlot.iife.min.js"] = "text/javascript; charset=utf-8",
        ["uPlot.min.css"] = "text/css; charset=utf-8",
        ["uPlot.LICENSE.txt"] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary(kv => kv.Key, kv => new DashboardAsset(Read(kv.Key), kv.Value), StringComparer.Ordinal);

    /// <summary>Null for a name that is not one of them.</summary>
    public static DashboardAsset? Find(string name) => Files.GetValueOrDefault(name);

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"dashboard/assets/{name}")
            ?? throw new InvalidOperationException($"the dashboard asset {name} is not embedded (build/dashboard-assets.targets)");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }
}
