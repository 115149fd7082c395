using Orchestrator.Domain.Sampling;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Sampling;

public class EpochPlanTests
{
    // 90 / 9 / 1 images of classes 0 / 1 / 2 at indices 500..599.
    private static readonly int[] Indices = Enumerable.Range(500, 100).ToArray();
    private static readonly int[] Labels = Indices.Select(i => i < 590 ? 0 : i < 599 ? 1 : 2).ToArray();

    private static int[] LabelsOf(int[] order) => order.Select(i => Labels[i - 500]).ToArray();

    [Fact]
    public void Sampler_mode_balances_the_order_and_weighs_the_loss_by_the_sampled_counts()
    {
        var plan = EpochPlan.For(ClassBalance.Sampler, Indices, Labels, 3, seed: 4, epoch: 2);

        plan.Order.Should().HaveCount(100).And.OnlyContain(i => i >= 500 && i < 600);
        plan.Order.Should().Equal(BalancedSampler.EpochOrder(Indices, Labels, 3, 4, 2));
        plan.LossWeights.Should().Equal(ClassWeights.Compute(LabelsOf(plan.Order), 3));
        plan.LossWeights.Should().OnlyContain(w => w > 0.5f && w < 2f, "the sampled epoch is already near balance");
    }

    [Fact]
    public void Loss_mode_visits_every_image_once_and_weighs_the_loss_by_the_training_counts()
    {
        var plan = EpochPlan.For(ClassBalance.Loss, Indices, Labels, 3, seed: 4, epoch: 2);

        plan.Order.Should().BeEquivalentTo(Indices).And.NotEqual(Indices, "the order is shuffled");
        plan.LossWeights.Should().Equal(ClassWeights.Compute(Labels, 3));
        EpochPlan.For(ClassBalance.Loss, Indices, Labels, 3, 4, 3).Order.Should().NotEqual(plan.Order);
        EpochPlan.For(ClassBalance.Loss, Indices, Labels, 3, 4, 2).Order.Should().Equal(plan.Order);
    }

    [Fact]
    public void Both_mode_applies_balanced_sampling_and_the_training_weights_at_full_strength()
    {
        var plan = EpochPlan.For(ClassBalance.Both, Indices, Labels, 3, seed: 4, epoch: 2);

        plan.Order.Should().Equal(BalancedSampler.EpochOrder(Indices, Labels, 3, 4, 2));
        plan.LossWeights.Should().Equal(ClassWeights.Compute(Labels, 3));
        plan.LossWeights[2].Should().BeApproximately(100f / 3, 1e-4f);
    }
}
