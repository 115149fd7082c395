using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Specs;

/// <summary>
/// How the values of a spec choice (<see cref="Strategy"/>, <see cref="StopPolicy"/>, <see cref="Optimizer"/>,
/// <see cref="ClassBalance"/>, <see cref="Normalization"/>) are spelled in YAML, canonical JSON, journals and printed
/// output: each member's <see cref="JsonStringEnumMemberNameAttribute"/>. Trial ids hash these spellings.
/// </summary>
public static class SpecSpelling<T> where T : struct, Enum
{
    private static readonly T[] Values = Enum.GetValues<T>();
    private static readonly string[] Spellings = Array.ConvertAll(Values, Read);

    /// <summary>Every spelling, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(Spellings);

    public static string Of(T value)
    {
        var i = Array.IndexOf(Values, value);
        return i >= 0 ? Spellings[i] : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a {typeof(T).Name}");
    }

    /// <summary>Exact, case-sensitive: only the spellings themselves parse.</summary>
    public static bool TryParse(string text, out T value)
    {
        var i = Array.IndexOf(Spellings, text);
        value = i >= 0 ? Values[i] : default;
        return i >= 0;
    }

    private static string Read(T value) =>
        typeof(T).GetField(value.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
        ?? throw new InvalidOperationException($"{typeof(T).Name}.{value} has no spelling");
}

/// <summary>Reads and writes a spec choice as its spelling; any other JSON value is invalid, so an unknown value
/// cannot come out of a stored spec or journal.</summary>
public sealed class SpecSpellingJsonConverter<T> : JsonConverter<T> where T : struct, Enum
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && SpecSpelling<T>.TryParse(reader.GetString()!, out var value)
            ? value
            : throw new JsonException($"a {typeof(T).Name} must be one of: {string.Join(", ", SpecSpelling<T>.All)}");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(SpecSpelling<T>.Of(value));
}

/// <summary>The spelling of each spec choice, as specs, tables and reports print it.</summary>
public static class SpecChoices
{
    public static string ToSpecString(this Strategy value) => SpecSpelling<Strategy>.Of(value);
    public static string ToSpecString(this StopPolicy value) => SpecSpelling<StopPolicy>.Of(value);
    public static string ToSpecString(this Optimizer value) => SpecSpelling<Optimizer>.Of(value);
    public static string ToSpecString(this ClassBalance value) => SpecSpelling<ClassBalance>.Of(value);
    public static string ToSpecString(this Normalization value) => SpecSpelling<Normalization>.Of(value);
}
