using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Coordination;

/// <summary>The coordinator's events and snapshot as JSON under versioned names: no .NET type name is stored, so its
/// journal outlives refactorings and reads with SQL.</summary>
public static class CoordinatorEventCatalog
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A payload missing a field, with a null where none may be or with an enum as a number is refused on read.
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        // A failed or diverged trial's loss on its ladder is infinite.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    private static readonly IReadOnlyDictionary<Type, string> Names = new Dictionary<Type, string>
    {
        [typeof(SweepLaunched)] = "SweepLaunched.v1",
        [typeof(SweepCancelled)] = "SweepCancelled.v1",
        [typeof(SweepResumed)] = "SweepResumed.v1",
        [typeof(TrialAssigned)] = "TrialAssigned.v1",
        [typeof(TrialReleased)] = "TrialReleased.v1",
        [typeof(TrialFinished)] = "TrialFinished.v1",
        [typeof(SweepRetired)] = "SweepRetired.v1",
        [typeof(SweepRevived)] = "SweepRevived.v1",
        [typeof(TrialReachedRung)] = "TrialReachedRung.v1",
        [typeof(TrialPromoted)] = "TrialPromoted.v1",
        [typeof(TrialPruned)] = "TrialPruned.v1",
        [typeof(ReplicatesLaunched)] = "ReplicatesLaunched.v1",
        [typeof(WorkQueueSnapshot)] = "WorkQueueSnapshot.v1",
    };

    private static readonly IReadOnlyDictionary<string, Type> Types = Names.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    public static bool Handles(object value) => Names.ContainsKey(value.GetType());

    public static string StoredName(object value) => Names.TryGetValue(value.GetType(), out var name)
        ? name
        : throw new ArgumentException($"{value.GetType().Name} is not a coordinator event", nameof(value));

    public static byte[] Serialize(object value) => JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), Json);

    /// <exception cref="InvalidDataException">An unknown name or a payload that does not fit it.</exception>
    public static object Deserialize(string name, ReadOnlySpan<byte> payload)
    {
        if (!Types.TryGetValue(name, out var type)) throw new InvalidDataException($"unknown coordinator event '{name}'");
        try
        {
            return JsonSerializer.Deserialize(payload, type, Json) ?? throw new InvalidDataException($"{name}: empty payload");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{name}: {ex.Message}", ex);
        }
    }
}
