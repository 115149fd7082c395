using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

/// <summary>The shipped grid specs expand to the trials, in the order, they did before search spaces came: the count
/// and a SHA-256 over the ids (one a line, in expansion order) were taken from the code before that change. The
/// demo's were taken again when its spec changed (2026-12-07: 12 epochs for every backbone, trials reordered).</summary>
public class GridIdPinTests
{
    [Theory]
    [InlineData("demo.yaml", 6, "f7b5fef6f4c70b181d363a9be0f252c7f4adf278b39e4e0a5c75ecd49e410fd2")]
    [InlineData("seven-backbones.yaml", 35, "ec250c73e5c6514163ab6770eeeb2024ebd7d2652afd1e10c515ded5a7c0e635")]
    [InlineData("strategies.yaml", 77, "58dee31dc39b8809b5bb8e9ca7f41faa49589bd8c7b2798c0bdec78c84962d56")]
    public void A_shipped_grid_spec_keeps_its_trials_and_their_order(string file, int count, string idsHash)
    {
        var trials = SweepGrid.Expand(ShippedSpecTests.Load(file));

        (trials.Count, Digest(trials.Select(t => t.Id.Value))).Should().Be((count, idsHash));
    }

    internal static string Digest(IEnumerable<string> ids) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', ids))));
}
