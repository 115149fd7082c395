using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Tests;

public class WilcoxonSignedRankTests
{
    public static TheoryData<string> Names() => new(ReferenceFixtures.Wilcoxons.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Agrees_with_R_wilcox_test_paired_defaults(string name)
    {
        var f = ReferenceFixtures.Wilcoxons.Single(x => x.Name == name);
        var r = WilcoxonSignedRank.Test(f.X, f.Y);
        r.N.Should().Be(f.N);
        r.ZerosDropped.Should().Be(f.Zeros);
        r.Method.Should().Be(f.Exact ? WilcoxonMethod.Exact : WilcoxonMethod.NormalApproximation);
        r.V.Should().BeApproximately(f.V, 1e-9);
        (r.V + r.WMinus).Should().BeApproximately(f.N * (f.N + 1) / 2.0, 1e-9);
        Significant.Agree(r.PValue, f.P, "p");
        if (!f.Exact) r.Z.Should().NotBeNull();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Without_continuity_correction_the_approximation_agrees_with_R_correct_false_and_scipy_default(string name)
    {
        var f = ReferenceFixtures.Wilcoxons.Single(x => x.Name == name);
        var r = WilcoxonSignedRank.Test(f.X, f.Y, continuityCorrection: false);
        if (f.Exact)
        {
            r.Method.Should().Be(WilcoxonMethod.Exact, "the correction only matters to the approximation");
            return;
        }
        r.ContinuityCorrection.Should().BeFalse();
        Significant.Agree(r.PValue, f.PNoCorrection, "p without continuity correction");
    }

    [Fact]
    public void At_n_50_it_counts_exactly_as_scipy_does()
    {
        var f = ReferenceFixtures.Wilcoxon50;
        var r = WilcoxonSignedRank.Test(f.X, f.Y);
        r.Method.Should().Be(WilcoxonMethod.Exact);
        r.V.Should().Be(f.V);
        Significant.Agree(r.PValue, f.P, "p");
    }

    [Fact]
    public void Exact_null_distribution_for_small_n_matches_hand_counts()
    {
        // n = 3: the 8 sign assignments give W+ in {0,1,2,3,3,4,5,6}; P(W+ <= 0) = 1/8, two-sided 1/4.
        WilcoxonSignedRank.ExactPValue(0, 3).Should().Be(0.25);
        WilcoxonSignedRank.ExactPValue(6, 3).Should().Be(0.25);
        WilcoxonSignedRank.ExactPValue(1, 3).Should().Be(0.5);
        WilcoxonSignedRank.ExactPValue(3, 3).Should().Be(1.0);
        // n = 1: one difference can never be significant.
        WilcoxonSignedRank.ExactPValue(1, 1).Should().Be(1.0);
    }

    [Fact]
    public void All_zero_differences_are_refused()
    {
        FluentActions.Invoking(() => WilcoxonSignedRank.Test([1.0, 2], [1.0, 2])).Should().Throw<ArgumentException>().WithMessage("*zero*");
    }
}
