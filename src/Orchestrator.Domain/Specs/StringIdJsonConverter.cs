using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Specs;

/// <summary>An id that is one non-blank string: <see cref="Trials.TrialId"/>, <see cref="SweepId"/>.</summary>
public interface IStringId<out TSelf> where TSelf : struct, IStringId<TSelf>
{
    string Value { get; }

    /// <exception cref="ArgumentException"><paramref name="value"/> is null, empty or whitespace.</exception>
    static abstract TSelf Of(string value);
}

/// <summary>Writes an id as the plain JSON string it wraps, as a value and as a dictionary key, so that journals and
/// wire messages keep the form they had when ids were strings; a blank or non-string value is invalid JSON.</summary>
public sealed class StringIdJsonConverter<T> : JsonConverter<T> where T : struct, IStringId<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? Of(reader.GetString()) : throw new JsonException($"a {typeof(T).Name} must be a JSON string");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.Value);
    }

    public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Of(reader.GetString());

    public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(value.Value);
    }

    private static T Of(string? text)
    {
        try
        {
            return T.Of(text!);
        }
        catch (ArgumentException ex)
        {
            throw new JsonException($"a {typeof(T).Name} must not be blank", ex);
        }
    }
}
