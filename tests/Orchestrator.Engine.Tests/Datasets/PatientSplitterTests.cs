using Orchestrator.Domain.Data;

namespace Orchestrator.Engine.Tests.Datasets;

public class PatientSplitterTests
{
    private static readonly int[] PatientsPerClass = [400, 120, 50, 30, 17, 5, 3];

    /// <summary>Patients with 1-3 images; every tenth patient also has one image of another class.</summary>
    private static List<(string Patient, int Label)> Images()
    {
        var images = new List<(string, int)>();
        var p = 0;
        for (var label = 0; label < PatientsPerClass.Length; label++)
        {
            for (var k = 0; k < PatientsPerClass[label]; k++, p++)
            {
                var id = $"P{p:D5}";
                for (var i = 0; i <= p % 3; i++) images.Add((id, label));
                if (p % 10 == 0) images.Add((id, (label + 1) % PatientsPerClass.Length));
            }
        }
        return images;
    }

    [Fact]
    public void Every_patient_gets_exactly_one_known_split()
    {
        var images = Images();
        var splits = PatientSplitter.Assign(images, seed: 7);

        splits.Keys.Should().BeEquivalentTo(images.Select(x => x.Patient).Distinct());
        splits.Values.Should().OnlyContain(s => s == Splits.Train || s == Splits.Validation || s == Splits.Test);
    }

    [Fact]
    public void Each_class_is_cut_80_10_10_within_one_patient()
    {
        var splits = PatientSplitter.Assign(Images(), seed: 7);

        for (var label = 0; label < PatientsPerClass.Length; label++)
        {
            var n = PatientsPerClass[label];
            var first = PatientsPerClass.Take(label).Sum();
            var ofClass = Enumerable.Range(first, n).Select(p => splits[$"P{p:D5}"]).ToList();
            int Count(string split) => ofClass.Count(s => s == split);

            Count(Splits.Validation).Should().BeGreaterThanOrEqualTo(1, $"class {label} has {n} patients");
            Count(Splits.Test).Should().BeGreaterThanOrEqualTo(1, $"class {label} has {n} patients");
            if (n >= 10)
            {
                Count(Splits.Train).Should().BeCloseTo((int)Math.Round(0.8 * n), 1, $"class {label}");
                Count(Splits.Validation).Should().BeCloseTo((int)Math.Round(0.1 * n), 1, $"class {label}");
                Count(Splits.Test).Should().BeCloseTo((int)Math.Round(0.1 * n), 1, $"class {label}");
            }
        }
    }

    [Fact]
    public void A_patient_belongs_to_the_stratum_of_their_most_frequent_label()
    {
        // Three patients mostly of class 1 with one class-0 image each: class 1 has three patients, so all splits get one.
        List<(string, int)> images =
        [
            ("A", 1), ("A", 1), ("A", 0),
            ("B", 1), ("B", 1), ("B", 0),
            ("C", 1), ("C", 1), ("C", 0),
        ];
        var splits = PatientSplitter.Assign(images, seed: 3);
        splits.Values.Should().BeEquivalentTo([Splits.Train, Splits.Validation, Splits.Test]);
    }

    [Fact]
    public void Classes_with_fewer_than_three_patients_go_to_train()
    {
        var splits = PatientSplitter.Assign([("A", 0), ("B", 0), ("C", 1)], seed: 1);
        splits.Values.Should().AllBe(Splits.Train);
    }

    [Fact]
    public void The_same_seed_gives_the_same_assignment_whatever_the_input_order()
    {
        var images = Images();
        var shuffled = images.OrderBy(x => HashCode.Combine(x.Patient, 12345)).ToList();

        var a = PatientSplitter.Assign(images, seed: 11);
        var b = PatientSplitter.Assign(shuffled, seed: 11);

        b.Should().BeEquivalentTo(a);
    }

    [Fact]
    public void Different_seeds_give_different_assignments()
    {
        var images = Images();
        var a = PatientSplitter.Assign(images, seed: 1);
        var b = PatientSplitter.Assign(images, seed: 2);

        a.Count(kv => b[kv.Key] != kv.Value).Should().BeGreaterThan(20);
    }

    [Fact]
    public void Custom_shares_are_honoured()
    {
        var images = Enumerable.Range(0, 100).Select(i => ($"P{i}", 0)).ToList();
        var splits = PatientSplitter.Assign(images, seed: 5, train: 0.6, val: 0.25);

        splits.Values.Count(s => s == Splits.Train).Should().Be(60);
        splits.Values.Count(s => s == Splits.Validation).Should().Be(25);
        splits.Values.Count(s => s == Splits.Test).Should().Be(15);
    }

    [Theory]
    [InlineData(0.0, 0.1)]
    [InlineData(0.8, -0.1)]
    [InlineData(0.8, 0.3)]
    [InlineData(double.NaN, 0.1)]
    public void Impossible_shares_are_rejected(double train, double val)
    {
        var act = () => PatientSplitter.Assign([("A", 0)], seed: 1, train, val);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Empty_patient_ids_are_rejected()
    {
        var act = () => PatientSplitter.Assign([("", 0)], seed: 1);
        act.Should().Throw<ArgumentException>();
    }
}
