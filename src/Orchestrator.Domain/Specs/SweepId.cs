using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Specs;

/// <summary>A sweep's id: "sw-" and the first 10 hex digits of the hash of its name (<see cref="Ids.SweepId"/>).
/// Stored and sent as the plain string (<see cref="StringIdJsonConverter{T}"/>).</summary>
[JsonConverter(typeof(StringIdJsonConverter<SweepId>))]
public readonly record struct SweepId(string Value) : IStringId<SweepId>
{
    public string Value { get; } = IdText.Checked(Value, nameof(Value));

    public static SweepId Of(string value) => new(value);

    /// <summary>A sweep id the user typed (commands that also take a name look it up both ways).</summary>
    /// <exception cref="InvalidInputException"><paramref name="text"/> is blank.</exception>
    public static SweepId Parse(string? text) => new(IdText.Typed(text, "sweep id", "sw-... or the sweep's name, see `orchestrator sweep status`"));

    public override string ToString() => Value;
}
