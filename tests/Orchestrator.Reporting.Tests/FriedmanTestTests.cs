using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Tests;

public class FriedmanTestTests
{
    public static TheoryData<string> Names() => new(ReferenceFixtures.Friedmans.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Agrees_with_scipy_friedmanchisquare_and_R_ptukey(string name)
    {
        var f = ReferenceFixtures.Friedmans.Single(x => x.Name == name);
        var r = FriedmanTest.Test(f.Data);
        r.Blocks.Should().Be(f.Data.Length);
        r.Treatments.Should().Be(f.Data[0].Length);
        r.DegreesOfFreedom.Should().Be(r.Treatments - 1);
        Significant.Agree(r.ChiSquare, f.ChiSquare, "chi-square");
        Significant.Agree(r.PValue, f.P, "p");
        r.AverageRanks.Should().Equal(f.AverageRanks, (a, b) => Math.Abs(a - b) < 1e-12);
        Significant.Agree(r.ImanDavenportF, f.F, "Iman-Davenport F");
        Significant.Agree(r.ImanDavenportPValue, f.FP, "Iman-Davenport p");
        r.ImanDavenportDf1.Should().Be(r.Treatments - 1);
        r.ImanDavenportDf2.Should().Be((r.Treatments - 1) * (r.Blocks - 1));
        Significant.Agree(r.NemenyiQAlpha, f.Q, "q_alpha");
        Significant.Agree(r.NemenyiCriticalDifference, f.Cd, "critical difference");
        r.Pairs.Should().HaveCount(f.PairP.Length);
        for (var i = 0; i < f.PairP.Length; i++)
        {
            var pair = r.Pairs[i];
            Significant.Agree(pair.PValue, f.PairP[i], $"Nemenyi p of {pair.First} vs {pair.Second}", floor: 1e-9);
            pair.Differ.Should().Be(Math.Abs(pair.RankDifference) > f.Cd);
            (pair.PValue < 0.05).Should().Be(pair.Differ, "a pair differs at alpha exactly when its Nemenyi p is below alpha");
        }
    }

    [Fact]
    public void Pairs_follow_the_column_order()
    {
        var r = FriedmanTest.Test(ReferenceFixtures.Friedmans[1].Data);
        r.Pairs.Select(p => (p.First, p.Second)).Should().Equal((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3));
        r.Pairs[2].Differ.Should().BeTrue("treatment 3 ranks first in most blocks");
    }

    [Fact]
    public void Demsars_q_alpha_table_for_k_2_to_10()
    {
        // Demsar (2006), Table 5(a), q_0.05 for the Nemenyi test, printed to 3 decimals (some truncated, e.g. 2.343 for 2.3437).
        double[] table = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164];
        for (var k = 2; k <= 10; k++)
        {
            var q = StudentizedRange.Quantile(0.95, k);
            Significant.Agree(q, ReferenceFixtures.TukeyQ95[k - 2], $"qtukey(0.95, {k}, Inf)", digits: 6);
            (q / Math.Sqrt(2)).Should().BeApproximately(table[k - 2], 0.001);
        }
    }

    [Fact]
    public void Studentized_range_cdf_agrees_with_R_ptukey()
    {
        foreach (var (q, k, p) in ReferenceFixtures.TukeyCdf)
            Significant.Agree(StudentizedRange.Cdf(q, k), p, $"ptukey({q}, {k}, Inf)", digits: 6, floor: 1e-9);
    }

    [Fact]
    public void With_two_treatments_it_answers_as_R_does_and_is_the_sign_test()
    {
        // The paper's Tables 4 (dynamic) and 3 (traditional) accuracies: dynamic wins on all 7 backbones.
        // R: friedman.test(cbind(dynamic, traditional)) -> chi-squared = 7, df = 1, p-value = 0.008150972.
        double[] dynamic = [83.2, 83.4, 81.8, 83.1, 85.1, 82.9, 82.6], traditional = [83, 82.1, 75.5, 81.3, 81.7, 76, 80.2];
        var paper = FriedmanTest.Test(dynamic.Zip(traditional, (d, t) => (IReadOnlyList<double>)[d, t]).ToList());
        paper.IsSignTest.Should().BeTrue();
        paper.ChiSquare.Should().BeApproximately(7, 1e-12);
        paper.DegreesOfFreedom.Should().Be(1);
        Significant.Agree(paper.PValue, 0.008150972, "R friedman.test p", digits: 6);
        paper.AverageRanks.Should().Equal(2, 1);

        // 3 wins, 1 loss, 2 ties: the tie correction drops the tied blocks, chi2 = (3 - 1)^2 / (3 + 1) = 1.
        // R: friedman.test(cbind(c(.8,.7,.9,.6,.75,.8), c(.7,.7,.8,.65,.7,.8))) -> chi-squared = 1, p-value = 0.3173105.
        double[][] tied = [[0.8, 0.7], [0.7, 0.7], [0.9, 0.8], [0.6, 0.65], [0.75, 0.7], [0.8, 0.8]];
        var r = FriedmanTest.Test(tied);
        r.ChiSquare.Should().BeApproximately(1, 1e-12);
        Significant.Agree(r.PValue, 0.3173105, "R friedman.test p with ties", digits: 6);
        FriedmanTest.Test([[0.7, 0.8], [0.5, 0.9], [0.3, 0.2]]).IsSignTest.Should().BeTrue();
    }

    [Fact]
    public void Bad_shapes_are_refused()
    {
        double[][] oneTreatment = [[1], [3]];
        double[][] oneBlock = [[1, 2, 3]];
        double[][] ragged = [[1, 2, 3], [1, 2]];
        double[][] allTied = [[1, 1, 1], [2, 2, 2]];
        FluentActions.Invoking(() => FriedmanTest.Test(oneTreatment)).Should().Throw<ArgumentException>().WithMessage("*2 treatments*");
        FluentActions.Invoking(() => FriedmanTest.Test(oneBlock)).Should().Throw<ArgumentException>().WithMessage("*2 blocks*");
        FluentActions.Invoking(() => FriedmanTest.Test(ragged)).Should().Throw<ArgumentException>().WithMessage("*block 1*");
        FluentActions.Invoking(() => FriedmanTest.Test(allTied)).Should().Throw<ArgumentException>().WithMessage("*ties*");
    }
}
