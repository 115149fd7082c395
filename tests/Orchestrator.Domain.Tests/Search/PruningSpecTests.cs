using Orchestrator.Domain.Search;

namespace Orchestrator.Domain.Tests.Search;

public class PruningSpecTests
{
    [Theory]
    [InlineData(1, 3, 9, new[] { 1, 3 })]
    [InlineData(2, 3, 20, new[] { 2, 6, 18 })]
    [InlineData(2, 2, 10, new[] { 2, 4, 8 })]
    [InlineData(1, 3, 10, new[] { 1, 3, 9 })]
    [InlineData(3, 2, 4, new[] { 3 })]
    [InlineData(4, 2, 4, new int[0])]
    public void Rungs_are_min_epochs_times_powers_of_the_reduction_below_the_budget(int minEpochs, int reduction, int budget, int[] rungs)
    {
        new PruningSpec(PruningKind.Asha, reduction, minEpochs).RungEpochs(budget).Should().Equal(rungs);
    }

    [Fact]
    public void A_rung_past_the_largest_integer_ends_the_list_instead_of_wrapping()
    {
        new PruningSpec(PruningKind.Asha, 1 << 20, 1 << 20).RungEpochs(int.MaxValue).Should().Equal(1 << 20);
    }
}
