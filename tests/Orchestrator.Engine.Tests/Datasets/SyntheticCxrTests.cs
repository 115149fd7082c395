using Orchestrator.Domain.Data;
using Orchestrator.Engine.Datasets;

namespace Orchestrator.Engine.Tests.Datasets;

public class SyntheticCxrTests
{
    [Fact]
    public void Class_names_and_counts_follow_table_1()
    {
        CxrClasses.Names.Should().Equal("Pneumonia", "COVID-19", "Tuberculosis", "Pleural Effusion", "Pneumothorax",
            "Pulmonary Edema", "Atelectasis");
        CxrClasses.PaperCounts.Should().Equal(10398, 2456, 1070, 718, 404, 265, 105);
        CxrClasses.PaperCounts.Sum().Should().Be(15416);
    }

    [Fact]
    public void Class_counts_at_paper_size_are_the_paper_counts()
    {
        SyntheticCxr.ClassCounts(15416).Should().Equal(CxrClasses.PaperCounts);
    }

    [Theory]
    [InlineData(840)]
    [InlineData(1000)]
    [InlineData(5000)]
    public void Class_counts_keep_the_paper_proportions(int total)
    {
        var counts = SyntheticCxr.ClassCounts(total);

        counts.Sum().Should().Be(total);
        counts.Should().OnlyContain(c => c >= SyntheticCxr.MinimumPerClass);
        counts.Should().BeInDescendingOrder();
        var paperTotal = (double)CxrClasses.PaperCounts.Sum();
        for (var c = 0; c < counts.Length; c++)
        {
            var expected = total * CxrClasses.PaperCounts[c] / paperTotal;
            if (expected >= SyntheticCxr.MinimumPerClass + 1)
                counts[c].Should().BeCloseTo((int)Math.Round(expected), 1, $"class {c} of {total}");
        }
    }

    [Fact]
    public void Small_totals_raise_every_class_to_the_minimum()
    {
        SyntheticCxr.ClassCounts(42).Should().AllBeEquivalentTo(6);
        var counts = SyntheticCxr.ClassCounts(100);
        counts.Sum().Should().Be(100);
        counts.Should().OnlyContain(c => c >= 6);
        counts[0].Should().BeGreaterThan(counts[1]);
    }

    [Fact]
    public void Too_small_totals_are_rejected()
    {
        var act = () => SyntheticCxr.ClassCounts(41);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Render_is_deterministic_and_seed_dependent()
    {
        for (var label = 0; label < 7; label++)
        {
            var a = SyntheticCxr.Render(label, 64, 99);
            a.Should().HaveCount(64 * 64);
            SyntheticCxr.Render(label, 64, 99).Should().Equal(a);
            SyntheticCxr.Render(label, 64, 100).Should().NotEqual(a);
        }
    }

    [Fact]
    public void Render_uses_the_whole_gray_range_reasonably()
    {
        for (var label = 0; label < 7; label++)
        {
            var image = SyntheticCxr.Render(label, 64, (ulong)label);
            var mean = image.Average(b => (double)b);
            mean.Should().BeInRange(50, 200, $"class {label}");
            image.Max().Should().BeGreaterThan(image.Min());
        }
    }

    [Fact]
    public void Render_rejects_bad_arguments()
    {
        ((Action)(() => SyntheticCxr.Render(7, 64, 1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => SyntheticCxr.Render(-1, 64, 1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => SyntheticCxr.Render(0, 4, 1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => SyntheticCxr.Render(0, 8, 1, new byte[10]))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void One_seed_is_one_patient_under_every_label()
    {
        // Anatomy and noise do not depend on the label: pneumonia and COVID-19 (which leave the anatomy alone)
        // differ only inside the lungs, so most pixels are identical.
        var a = SyntheticCxr.Render(0, 64, 5);
        var b = SyntheticCxr.Render(1, 64, 5);
        a.Zip(b, (x, y) => x == y).Count(same => same).Should().BeGreaterThan(a.Length / 2);
    }

    [Fact]
    public void Mean_images_of_any_two_classes_differ_beyond_sampling_noise()
    {
        // Class means over the same seeds (hence the same patients), from two independent halves of the seeds.
        // The difference of two class means must be well above how much that difference moves between halves.
        const int size = 64, perHalf = 30;
        var means = new double[7, 2][];
        for (var label = 0; label < 7; label++)
            for (var half = 0; half < 2; half++)
            {
                var sum = new double[size * size];
                for (var k = 0; k < perHalf; k++)
                {
                    var image = SyntheticCxr.Render(label, size, (ulong)(half * perHalf + k));
                    for (var i = 0; i < sum.Length; i++) sum[i] += image[i];
                }
                means[label, half] = sum.Select(s => s / perHalf).ToArray();
            }

        static double[] Minus(double[] x, double[] y) => x.Zip(y, (p, q) => p - q).ToArray();
        static double Norm(double[] x) => Math.Sqrt(x.Sum(v => v * v));

        for (var a = 0; a < 7; a++)
            for (var b = a + 1; b < 7; b++)
            {
                var first = Minus(means[a, 0], means[b, 0]);
                var second = Minus(means[a, 1], means[b, 1]);
                var noise = Norm(Minus(first, second)) / Math.Sqrt(2);
                Norm(first).Should().BeGreaterThan(1.5 * noise, $"classes {a} and {b}");
                (Norm(first) / size).Should().BeGreaterThan(1.0, $"classes {a} and {b} differ by about a gray level per pixel");
            }
    }
}
