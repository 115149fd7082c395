using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Tests;

public class RankingTests
{
    [Fact]
    public void Ties_share_their_mean_rank()
    {
        // scipy.stats.rankdata([3, 1, 4, 1, 5, 9, 2, 6, 5]) -> [4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5]
        var r = Ranking.Average([3, 1, 4, 1, 5, 9, 2, 6, 5]);
        r.Ranks.Should().Equal(4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5);
        r.HasTies.Should().BeTrue();
        r.TieCubeSum.Should().Be(12); // two pairs: 2 * (8 - 2)
        Ranking.Average([2.0, 1.0]).HasTies.Should().BeFalse();
    }
}
