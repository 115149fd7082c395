using System.Globalization;

namespace Orchestrator.Domain.Search;

/// <summary>Where the values of a sampled hyperparameter come from: a unit number u in [0, 1) maps to one value.</summary>
public abstract record SearchRange<T>
{
    /// <summary>The value at u in [0, 1).</summary>
    public abstract T At(double unit);

    /// <summary>The values that bound the range (both ends, or every choice): if each is a valid value of the
    /// hyperparameter, so is every value the range gives.</summary>
    public abstract IEnumerable<T> Extremes { get; }
}

/// <summary>Uniform over [Low, High], rounded to <see cref="RealRounding.SignificantDigits"/> significant digits.</summary>
public sealed record UniformRange(double Low, double High) : SearchRange<double>
{
    public override double At(double unit) => RealRounding.Within(Low + (High - Low) * unit, Low, High);

    public override IEnumerable<double> Extremes => [Low, High];
}

/// <summary>Log-uniform over [Low, High] (Low &gt; 0): equal odds per decade, rounded as <see cref="UniformRange"/>.</summary>
public sealed record LogUniformRange(double Low, double High) : SearchRange<double>
{
    public override double At(double unit)
    {
        var low = Math.Log(Low);
        return RealRounding.Within(Math.Exp(low + (Math.Log(High) - low) * unit), Low, High);
    }

    public override IEnumerable<double> Extremes => [Low, High];
}

/// <summary>Every integer of [Low, High] with equal odds: Low + floor(u (High - Low + 1)).</summary>
public sealed record IntUniformRange(int Low, int High) : SearchRange<int>
{
    public override int At(double unit)
    {
        var count = (long)High - Low + 1;
        return (int)Math.Min(Low + (long)Math.Floor(unit * count), High);
    }

    public override IEnumerable<int> Extremes => [Low, High];
}

/// <summary>One of the values, with equal odds: value number floor(u n).</summary>
public sealed record ChoiceRange<T>(IReadOnlyList<T> Values) : SearchRange<T>
{
    public override T At(double unit) => Values[Math.Min((int)Math.Floor(unit * Values.Count), Values.Count - 1)];

    public override IEnumerable<T> Extremes => Values;
}

/// <summary>Sampled real values are rounded so that they read well and hash the same everywhere: a last-bit
/// difference in <see cref="Math.Exp"/> between machines cannot reach the fourth significant digit (unless it
/// sits exactly on a rounding boundary).</summary>
public static class RealRounding
{
    public const int SignificantDigits = 4;

    /// <summary><paramref name="value"/> to <see cref="SignificantDigits"/> significant digits, kept inside
    /// [<paramref name="low"/>, <paramref name="high"/>] (rounding may step over an end; the end is taken then).</summary>
    public static double Within(double value, double low, double high)
    {
        var rounded = double.Parse(value.ToString("G" + SignificantDigits, CultureInfo.InvariantCulture), NumberStyles.Float,
            CultureInfo.InvariantCulture);
        return Math.Clamp(rounded, low, high) + 0.0;
    }
}
