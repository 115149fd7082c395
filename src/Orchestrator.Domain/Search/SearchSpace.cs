using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Orchestrator.Domain.Randomness;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Search;

/// <summary>How the unit points of a search are drawn.</summary>
[JsonConverter(typeof(SpecSpellingJsonConverter<SearchKind>))]
public enum SearchKind
{
    /// <summary>Independent uniform numbers from <see cref="SplitMix64"/>.</summary>
    [JsonStringEnumMemberName("random")] Random,
    /// <summary>The first points of the <see cref="SobolSequence"/>, digitally shifted by the seed.</summary>
    [JsonStringEnumMemberName("sobol")] Sobol,
}

/// <summary>A sampled hyperparameter: its spec key, and how a unit number becomes its value in a grid.</summary>
public abstract record SearchAxis(string Name)
{
    /// <summary><paramref name="grid"/> with this axis set to the one value at <paramref name="unit"/>.</summary>
    public abstract HyperparameterGrid Place(HyperparameterGrid grid, double unit);
}

/// <summary>A sampled hyperparameter of type <typeparamref name="T"/>; <c>Set</c> puts a one-value list in its place.</summary>
public sealed record SearchAxis<T>(string Name, SearchRange<T> Range, Func<HyperparameterGrid, IReadOnlyList<T>, HyperparameterGrid> Set)
    : SearchAxis(Name)
{
    public override HyperparameterGrid Place(HyperparameterGrid grid, double unit) => Set(grid, [Range.At(unit)]);
}

/// <summary>
/// A sweep's search: <c>Trials</c> configurations drawn over the <c>Axes</c> (in the spec's fixed key order, one
/// dimension each), the same for every backbone and strategy. The seed fixes them: the same spec gives the same
/// configurations, and so the same trial ids, on every run and machine.
/// </summary>
public sealed record SearchSpec(SearchKind Kind, int Trials, ulong Seed, IReadOnlyList<SearchAxis> Axes)
{
    public const int MaxTrials = 100_000;

    /// <summary>The seed of a spec that gives none: the first 8 bytes of SHA-256 of the sweep's name.</summary>
    public static ulong DefaultSeed(string sweepName)
    {
        ArgumentNullException.ThrowIfNull(sweepName);
        return BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(sweepName)));
    }

    /// <summary><paramref name="grid"/> (a backbone's) with every axis set to its value at <paramref name="point"/>.</summary>
    public HyperparameterGrid Place(HyperparameterGrid grid, IReadOnlyList<double> point)
    {
        ArgumentNullException.ThrowIfNull(point);
        for (var d = 0; d < Axes.Count; d++) grid = Axes[d].Place(grid, point[d]);
        return grid;
    }

    /// <summary><c>Trials</c> points in [0, 1)^d, d = the number of axes.</summary>
    public IReadOnlyList<double[]> UnitPoints()
    {
        var dimensions = Axes.Count;
        var rng = new SplitMix64(Seed);
        if (Kind == SearchKind.Random)
            return [.. Enumerable.Range(0, Trials).Select(_ => Enumerable.Range(0, dimensions).Select(_ => rng.NextDouble()).ToArray())];
        // A random digital shift (xor of every point's coordinate d with one seeded 32-bit number) keeps the
        // sequence's stratification, takes the first point off the origin and lets the seed choose among equally
        // good point sets.
        var shift = Enumerable.Range(0, dimensions).Select(_ => (uint)(rng.NextUInt64() >> 32)).ToArray();
        var sobol = new SobolSequence(dimensions);
        return [.. Enumerable.Range(0, Trials).Select(_ =>
            sobol.NextBits().Select((bits, d) => SobolSequence.ToUnit(bits ^ shift[d])).ToArray())];
    }
}
