using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Strategies;

/// <summary>
/// The backbone groups that train, by index (0 = shallowest), ascending and distinct; the head always trains.
/// Compared by its indices; travels in journals as a JSON array of them.
/// </summary>
[JsonConverter(typeof(GroupSetJsonConverter))]
public sealed class GroupSet : IEquatable<GroupSet>
{
    private readonly int[] _indices;

    private GroupSet(int[] indices) => _indices = indices;

    /// <summary>The head alone.</summary>
    public static GroupSet None { get; } = new([]);

    /// <summary>The deepest <paramref name="count"/> of <paramref name="groups"/> groups (clamped to 0..groups).</summary>
    public static GroupSet Deepest(int count, int groups)
    {
        var n = Math.Clamp(count, 0, groups);
        return new([.. Enumerable.Range(groups - n, n)]);
    }

    public static GroupSet All(int groups) => Deepest(groups, groups);

    /// <exception cref="ArgumentException">An index is negative or repeated.</exception>
    public static GroupSet Of(IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var sorted = indices.Order().ToArray();
        if (sorted.Length > 0 && sorted[0] < 0) throw new ArgumentException($"group index {sorted[0]} is negative", nameof(indices));
        for (var i = 1; i < sorted.Length; i++)
            if (sorted[i] == sorted[i - 1]) throw new ArgumentException($"group {sorted[i]} is named twice", nameof(indices));
        return new(sorted);
    }

    public IReadOnlyList<int> Indices => _indices;
    public int Count => _indices.Length;
    public bool Contains(int index) => Array.BinarySearch(_indices, index) >= 0;

    /// <summary>The shallowest group that trains; null for the head alone. Everything below it is a frozen prefix.</summary>
    public int? ShallowestIndex => _indices.Length == 0 ? null : _indices[0];

    /// <summary>The deepest group that trains; null for the head alone.</summary>
    public int? DeepestIndex => _indices.Length == 0 ? null : _indices[^1];

    /// <summary>Whether these are the deepest <see cref="Count"/> groups of <paramref name="groups"/>: the only sets an
    /// engine that freezes a prefix can train.</summary>
    public bool IsDeepestOf(int groups) => Equals(Deepest(Count, groups));

    public bool Equals(GroupSet? other) => other is not null && _indices.AsSpan().SequenceEqual(other._indices);
    public override bool Equals(object? obj) => Equals(obj as GroupSet);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var i in _indices) hash.Add(i);
        return hash.ToHashCode();
    }

    public static bool operator ==(GroupSet? a, GroupSet? b) => a?.Equals(b) ?? b is null;
    public static bool operator !=(GroupSet? a, GroupSet? b) => !(a == b);

    /// <summary>"{}" for the head alone, else the indices, e.g. "{3,4,5}".</summary>
    public override string ToString() => "{" + string.Join(",", _indices) + "}";
}

public sealed class GroupSetJsonConverter : JsonConverter<GroupSet>
{
    public override GroupSet Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var indices = JsonSerializer.Deserialize<int[]>(ref reader, options) ?? throw new JsonException("a group set must be an array");
        try
        {
            return GroupSet.Of(indices);
        }
        catch (ArgumentException ex)
        {
            throw new JsonException(ex.Message);
        }
    }

    public override void Write(Utf8JsonWriter writer, GroupSet value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var i in value.Indices) writer.WriteNumberValue(i);
        writer.WriteEndArray();
    }
}
