using System.Diagnostics;
using System.Globalization;
using Orchestrator.Domain.Search;

namespace Orchestrator.Domain.Tests.Search;

public class SobolSequenceTests
{
    [Fact]
    public void The_first_points_in_three_dimensions_are_the_known_ones()
    {
        var sobol = new SobolSequence(3);

        var points = Enumerable.Range(0, 8).Select(_ => sobol.Next()).ToList();

        // The unscrambled sequence in Gray-code order (Bratley and Fox 1988; Joe and Kuo 2008).
        double[][] expected =
        [
            [0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75],
            [0.375, 0.375, 0.625], [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375],
        ];
        points.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Every_dimension_puts_one_of_the_first_2_to_the_k_points_in_each_interval_of_width_2_to_the_minus_k()
    {
        const int k = 8;
        var sobol = new SobolSequence(SobolSequence.MaxDimensions);
        var points = Enumerable.Range(0, 1 << k).Select(_ => sobol.NextBits()).ToList();

        for (var d = 0; d < SobolSequence.MaxDimensions; d++)
            points.Select(p => p[d] >> (32 - k)).Should().OnlyHaveUniqueItems($"dimension {d + 1} is a (0, k, 1)-net");
    }

    [Fact]
    public void The_first_two_dimensions_put_one_of_2_to_the_m_points_in_every_elementary_box_of_that_volume()
    {
        const int m = 8;
        var sobol = new SobolSequence(2);
        var points = Enumerable.Range(0, 1 << m).Select(_ => sobol.NextBits()).ToList();

        // Boxes of 2^-a by 2^-(m-a): a (0, m, 2)-net has exactly one point in each.
        for (var a = 0; a <= m; a++)
            points.Select(p => ((ulong)(a == 0 ? 0 : p[0] >> (32 - a)) << 32) | (m - a == 0 ? 0 : p[1] >> (32 - (m - a))))
                .Should().OnlyHaveUniqueItems($"boxes of 2^-{a} x 2^-{m - a}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(SobolSequence.MaxDimensions + 1)]
    public void Has_one_to_sixteen_dimensions(int dimensions)
    {
        var make = () => new SobolSequence(dimensions);

        make.Should().Throw<ArgumentOutOfRangeException>();
    }

    [ScipyTheory]
    [InlineData(3, 16)]
    [InlineData(SobolSequence.MaxDimensions, 1024)]
    public void Equals_scipys_unscrambled_sobol_bit_for_bit(int dimensions, int count)
    {
        var script = $"from scipy.stats import qmc\nfor p in qmc.Sobol(d={dimensions}, scramble=False).random({count}):\n" +
            "    print(' '.join(repr(float(x)) for x in p))";
        var (code, output) = Scipy.Run(script);
        code.Should().Be(0, output);
        var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToList();
        var sobol = new SobolSequence(dimensions);

        var actual = Enumerable.Range(0, count).Select(_ => sobol.Next()).ToList();

        expected.Should().HaveCount(count);
        actual.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
    }
}

/// <summary>Debian's python3 with SciPy (python3-scipy), the independent oracle of the Sobol points.</summary>
internal static class Scipy
{
    private const string Interpreter = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(Interpreter)) return $"{Interpreter} does not exist";
        var (code, output) = Run("from scipy.stats import qmc");
        return code == 0 ? null : $"{Interpreter} cannot import scipy.stats.qmc: {output.Trim()}";
    });

    /// <summary>Null when usable, otherwise why not.</summary>
    public static string? WhyUnavailable => Missing.Value;

    public static (int ExitCode, string Output) Run(string script)
    {
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {Interpreter}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Interpreter} ran past 60 s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A theory that is skipped, saying why loudly, when python3 with SciPy is not installed.</summary>
public sealed class ScipyTheoryAttribute : TheoryAttribute
{
    public ScipyTheoryAttribute()
    {
        if (Scipy.WhyUnavailable is { } why)
            Skip = $"SKIPPED: SciPy unavailable ({why}; apt-get install python3-scipy); the Sobol points are NOT checked against SciPy";
    }
}
