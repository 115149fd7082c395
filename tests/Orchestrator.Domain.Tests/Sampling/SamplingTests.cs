using Orchestrator.Domain.Randomness;
using Orchestrator.Domain.Sampling;

namespace Orchestrator.Domain.Tests.Sampling;

public class SamplingTests
{
    [Fact]
    public void Class_weights_are_n_over_c_times_class_count()
    {
        var w = ClassWeights.Compute([0, 0, 0, 1], 3);
        w.Should().HaveCount(3);
        w[0].Should().BeApproximately(4f / 9, 1e-6f);
        w[1].Should().BeApproximately(4f / 3, 1e-6f);
        w[2].Should().Be(0);
    }

    [Fact]
    public void Split_mix_64_matches_the_reference_sequence()
    {
        var rng = new SplitMix64(0);
        rng.NextUInt64().Should().Be(0xE220A8397B1DCDAFUL);
        rng.NextUInt64().Should().Be(0x6E789E6AA1B965F4UL);
        rng.NextUInt64().Should().Be(0x06C45D188009454FUL);
    }

    [Fact]
    public void Split_mix_64_bounded_draws_stay_in_range()
    {
        var rng = new SplitMix64(SplitMix64.Derive(3, 4));
        Enumerable.Range(0, 10_000).Select(_ => rng.NextInt(7)).Should().OnlyContain(x => x >= 0 && x < 7);
        Enumerable.Range(0, 10_000).Select(_ => rng.NextDouble()).Should().OnlyContain(x => x >= 0 && x < 1);
    }

    private static (int[] Indices, int[] Labels) Imbalanced()
    {
        // 900 / 90 / 10 images of classes 0 / 1 / 2, at indices 1000..1999; class 3 has none.
        var indices = Enumerable.Range(1000, 1000).ToArray();
        var labels = indices.Select(i => i < 1900 ? 0 : i < 1990 ? 1 : 2).ToArray();
        return (indices, labels);
    }

    [Fact]
    public void The_epoch_order_is_deterministic_in_seed_and_epoch()
    {
        var (indices, labels) = Imbalanced();
        var a = BalancedSampler.EpochOrder(indices, labels, 4, seed: 7, epoch: 3);

        a.Should().HaveCount(1000).And.OnlyContain(i => i >= 1000 && i < 2000);
        BalancedSampler.EpochOrder(indices, labels, 4, 7, 3).Should().Equal(a);
        BalancedSampler.EpochOrder(indices, labels, 4, 7, 4).Should().NotEqual(a);
        BalancedSampler.EpochOrder(indices, labels, 4, 8, 3).Should().NotEqual(a);
    }

    [Fact]
    public void A_large_draw_has_about_equal_class_frequencies()
    {
        var (indices, labels) = Imbalanced();
        var label = indices.Zip(labels).ToDictionary(p => p.First, p => p.Second);
        var drawn = Enumerable.Range(1, 30).SelectMany(epoch => BalancedSampler.EpochOrder(indices, labels, 4, 1, epoch)).ToList();

        var perClass = drawn.GroupBy(i => label[i]).ToDictionary(g => g.Key, g => g.Count());
        perClass.Keys.Should().BeEquivalentTo([0, 1, 2]);
        // 30,000 draws, p = 1/3 each: the standard deviation is about 82.
        perClass.Values.Should().OnlyContain(c => Math.Abs(c - 10_000) < 500);
        // Within the 10-image class every image is about equally likely too.
        drawn.Where(i => label[i] == 2).GroupBy(i => i).Should().HaveCount(10)
            .And.OnlyContain(g => Math.Abs(g.Count() - 1000) < 200);
    }

    [Fact]
    public void Edge_cases()
    {
        BalancedSampler.EpochOrder([], [], 3, 1, 1).Should().BeEmpty();
        BalancedSampler.EpochOrder([42], [1], 3, 1, 1).Should().Equal(42);
        FluentActions.Invoking(() => BalancedSampler.EpochOrder([1, 2], [0], 2, 1, 1)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => BalancedSampler.EpochOrder([1], [5], 2, 1, 1)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
