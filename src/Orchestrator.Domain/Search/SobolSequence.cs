namespace Orchestrator.Domain.Search;

/// <summary>
/// The Sobol low-discrepancy sequence in up to <see cref="MaxDimensions"/> dimensions, 32 bits per coordinate, in
/// Gray-code order (Antonov and Saleev), unscrambled: point 0 is the origin, point 1 is (1/2, ..., 1/2). Direction
/// numbers are Joe and Kuo's (2008, file new-joe-kuo-6.21201), the ones SciPy's <c>qmc.Sobol</c> uses, so the points
/// equal <c>qmc.Sobol(d, scramble=False).random(n)</c>. Integer arithmetic only: the same bits on every machine.
/// </summary>
public sealed class SobolSequence
{
    public const int MaxDimensions = 16;
    private const int Bits = 32;

    /// <summary>Dimensions 2 to 16: degree s and coefficients a of the primitive polynomial, and the initial
    /// odd numbers m_1..m_s (Joe and Kuo 2008). Dimension 1 is van der Corput's sequence in base 2.</summary>
    private static readonly (int Degree, uint Coefficients, uint[] Initial)[] Polynomials =
    [
        (1, 0, [1]),
        (2, 1, [1, 3]),
        (3, 1, [1, 3, 1]),
        (3, 2, [1, 1, 1]),
        (4, 1, [1, 1, 3, 3]),
        (4, 4, [1, 3, 5, 13]),
        (5, 2, [1, 1, 5, 5, 17]),
        (5, 4, [1, 1, 5, 5, 5]),
        (5, 7, [1, 1, 7, 11, 19]),
        (5, 11, [1, 1, 5, 1, 1]),
        (5, 13, [1, 1, 1, 3, 11]),
        (5, 14, [1, 3, 5, 5, 31]),
        (6, 1, [1, 3, 3, 9, 7, 49]),
        (6, 13, [1, 1, 1, 15, 21, 21]),
        (6, 16, [1, 3, 1, 13, 27, 49]),
    ];

    private readonly uint[][] _directions;
    private readonly uint[] _current;
    private long _index;

    public SobolSequence(int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, MaxDimensions);
        _directions = new uint[dimensions][];
        for (var d = 0; d < dimensions; d++)
            _directions[d] = d == 0 ? VanDerCorput() : Directions(Polynomials[d - 1]);
        _current = new uint[dimensions];
    }

    public int Dimensions => _directions.Length;

    /// <summary>The next point as 32-bit integers, coordinate x = value / 2^32; the first call gives the origin.</summary>
    public uint[] NextBits()
    {
        if (_index > uint.MaxValue) throw new InvalidOperationException($"a 32-bit Sobol sequence has {1L << Bits} points");
        if (_index > 0)
        {
            // Gray code: point n differs from point n - 1 by the direction number of the lowest zero bit of n - 1.
            var bit = System.Numerics.BitOperations.TrailingZeroCount(~(ulong)(_index - 1));
            for (var d = 0; d < _current.Length; d++) _current[d] ^= _directions[d][bit];
        }
        _index++;
        return (uint[])_current.Clone();
    }

    /// <summary>The next point in [0, 1)^d.</summary>
    public double[] Next() => Array.ConvertAll(NextBits(), ToUnit);

    /// <summary>A 32-bit coordinate as a number in [0, 1): exact in a double.</summary>
    public static double ToUnit(uint bits) => bits * (1.0 / (1UL << Bits));

    private static uint[] VanDerCorput()
    {
        var v = new uint[Bits];
        for (var i = 0; i < Bits; i++) v[i] = 1u << (Bits - 1 - i);
        return v;
    }

    /// <summary>v_i = m_i 2^(32-i) for i up to s, then the recurrence of the polynomial:
    /// v_i = a_1 v_(i-1) xor ... xor a_(s-1) v_(i-s+1) xor v_(i-s) xor (v_(i-s) >> s).</summary>
    private static uint[] Directions((int Degree, uint Coefficients, uint[] Initial) p)
    {
        var (s, a, m) = p;
        var v = new uint[Bits];
        for (var i = 0; i < Bits; i++)
        {
            if (i < s)
            {
                v[i] = m[i] << (Bits - 1 - i);
                continue;
            }
            var value = v[i - s] ^ (v[i - s] >> s);
            for (var k = 1; k < s; k++)
                if (((a >> (s - 1 - k)) & 1) != 0) value ^= v[i - k];
            v[i] = value;
        }
        return v;
    }
}
