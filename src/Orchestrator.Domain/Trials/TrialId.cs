using System.Text.Json.Serialization;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Trials;

/// <summary>A trial's id: "t-" and the first 12 hex digits of the hash of its canonical spec (<see cref="Ids.TrialId"/>).
/// Stored and sent as the plain string (<see cref="StringIdJsonConverter{T}"/>).</summary>
[JsonConverter(typeof(StringIdJsonConverter<TrialId>))]
public readonly record struct TrialId(string Value) : IStringId<TrialId>
{
    public string Value { get; } = IdText.Checked(Value, nameof(Value));

    public static TrialId Of(string value) => new(value);

    /// <summary>A trial id the user typed.</summary>
    /// <exception cref="InvalidInputException"><paramref name="text"/> is blank.</exception>
    public static TrialId Parse(string? text) => new(IdText.Typed(text, "trial id", "t-..., see `orchestrator sweep status SWEEP`"));

    public override string ToString() => Value;
}
