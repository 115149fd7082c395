namespace Orchestrator.Reporting.Tests;

internal static class Significant
{
    /// <summary>Asserts agreement to <paramref name="digits"/> significant digits (an absolute floor for values near 0).</summary>
    public static void Agree(double actual, double expected, string what, int digits = 4, double floor = 1e-12)
    {
        if (double.IsInfinity(expected))
        {
            actual.Should().Be(expected, what);
            return;
        }
        var tolerance = Math.Max(Math.Abs(expected) * 0.5 * Math.Pow(10, 1 - digits), floor);
        actual.Should().BeApproximately(expected, tolerance, what);
    }
}
