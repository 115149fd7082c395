using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Tests.Trials;

namespace Orchestrator.Domain.Tests.Strategies;

/// <summary>Dynamic and fixed-top-n journals must stay byte for byte as they were before strategies became phase
/// schedules: the hashes below were computed with the decider of commit 82edc76, over every stored event's type and
/// payload of scripted runs that unfreeze, restore, improve, tie and stop for every reason.</summary>
public class LegacyJournalPinTests
{
    private static readonly double[] Losses = [1.0, 0.9, 0.9, 0.95, 0.8, 0.85, 0.85, 0.7, 0.7, 0.75, 0.72, 0.69, 0.69, 0.7, 0.71, 0.72, 0.73, 0.74];

    public static TheoryData<string, int, string> Runs => new()
    {
        { "dynamic p=2 k=1", 3, "5837bf3f9a8a0b7c91dfc1696782e1669d45a822e4f6e9d3c2c61f085926a3be" },
        { "dynamic p=1 k=2 algorithm-1", 5, "99d63adbe875ee2ebeee88a7e6bb8dcd788dd93d2a48889a2c0dca9768354818" },
        { "fixed-top-n n=2", 4, "d5f83b45a18bc975752d932758ee0e60020cfd3e4af8cac36a31511f1a023184" },
        { "dynamic p=2 k=3 budget", 7, "4021578afbcb69d2a6578b4984b8d9d33f9c37f53e5e877851697216a82c7ec4" },
    };

    private static TrialSpec SpecOf(string name) => name switch
    {
        "dynamic p=2 k=1" => TrialDriver.Spec(p: 2, k: 1, n: 30),
        "dynamic p=1 k=2 algorithm-1" => TrialDriver.Spec(p: 1, k: 2, n: 4, stop: StopPolicy.Algorithm1, maxRounds: 3),
        "fixed-top-n n=2" => TrialDriver.Spec(Strategy.FixedTopN, p: 3, topN: 2, n: 30),
        _ => TrialDriver.Spec(p: 2, k: 3, decay: 0.5, n: 9, minDelta: 0.01),
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void Journals_keep_their_bytes(string name, int groups, string sha256)
    {
        var run = TrialDriver.Run(SpecOf(name), groups, Losses);
        var stored = string.Join("\n", run.All.Select(EventCatalog.Serialize).Select(s => s.Type + " " + s.Payload));

        stored.Should().NotContain("trainableGroups").And.NotContain("schedule");
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(stored))).Should().Be(sha256, stored);
    }
}
