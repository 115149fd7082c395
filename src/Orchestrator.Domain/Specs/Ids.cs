using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Specs;

/// <summary>Content-derived ids: the same sweep name or trial spec always gives the same id.</summary>
public static class Ids
{
    /// <summary>"sw-" + the first 10 hex digits of SHA-256(UTF-8 name).</summary>
    public static SweepId SweepId(string sweepName)
    {
        ArgumentNullException.ThrowIfNull(sweepName);
        return new("sw-" + Hex(sweepName, 10));
    }

    /// <summary>"t-" + the first 12 hex digits of SHA-256 of <see cref="TrialSpecJson.Canonical"/>.</summary>
    public static TrialId TrialId(TrialSpec spec) => TrialIdFromCanonical(TrialSpecJson.Canonical(spec));

    internal static TrialId TrialIdFromCanonical(string canonicalJson) => new("t-" + Hex(canonicalJson, 12));

    private static string Hex(string text, int digits) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..digits];
}
