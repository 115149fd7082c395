using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Events;

/// <summary>
/// Maps trial events to and from their stored form. Each event type is stored as "Name.vN", N its current version
/// (1 unless <see cref="Versions"/> says otherwise); a change that is not a pure addition of fields needs a new version
/// here, and older versions stay readable into the same type.
/// </summary>
public static class EventCatalog
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        // A diverging run can report NaN or infinite losses; they travel as "NaN" / "Infinity".
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    private static readonly Type[] Known =
    [
        typeof(TrialStarted), typeof(EpochCompleted), typeof(BestImproved), typeof(GroupsUnfrozen),
        typeof(BestWeightsRestored), typeof(CheckpointSaved), typeof(TrainingStopped), typeof(TrialCompleted),
        typeof(TrialFailed), typeof(AttemptFailed), typeof(AttemptStarted), typeof(TrialDiverged),
        typeof(TrialPruned),
    ];

    /// <summary>Types past their first version. TrialCompleted.v2: the per-image test outputs moved out of the row into
    /// the file <see cref="TrialCompleted.TestOutputs"/> names (v1 carries them inline, <c>testPredictions</c> required).</summary>
    private static readonly Dictionary<Type, int> Versions = new() { [typeof(TrialCompleted)] = 2 };

    private static int VersionOf(Type t) => Versions.GetValueOrDefault(t, 1);

    private static readonly Dictionary<string, Type> ByStoredName = Known
        .SelectMany(t => Enumerable.Range(1, VersionOf(t)).Select(v => (Name: $"{t.Name}.v{v}", Type: t)))
        .ToDictionary(x => x.Name, x => x.Type, StringComparer.Ordinal);

    private static readonly Dictionary<Type, string> StoredNameOf =
        Known.ToDictionary(t => t, t => $"{t.Name}.v{VersionOf(t)}");

    /// <summary>Every stored type name this catalog writes (the current version of each type).</summary>
    public static IReadOnlyCollection<string> StoredTypes => StoredNameOf.Values;

    /// <summary>Every stored type name this catalog reads: the written ones and their older versions.</summary>
    public static IReadOnlyCollection<string> ReadableTypes => ByStoredName.Keys;

    public static SerializedEvent Serialize(TrialEvent e) => new(StoredName(e), JsonSerializer.Serialize(e, e.GetType(), Options));

    /// <summary>The versioned name <paramref name="e"/> is stored under, e.g. "TrialStarted.v1".</summary>
    /// <exception cref="ArgumentException">The event's type is not in the catalog.</exception>
    public static string StoredName(TrialEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return StoredNameOf.TryGetValue(e.GetType(), out var name)
            ? name
            : throw new ArgumentException($"event type {e.GetType().Name} is not in the catalog", nameof(e));
    }

    /// <exception cref="InvalidDataException">The type is unknown or the payload does not fit it.</exception>
    public static TrialEvent Deserialize(string type, string payload)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(payload);
        if (!ByStoredName.TryGetValue(type, out var clr))
            throw new InvalidDataException($"unknown event type '{type}'");
        try
        {
            var e = JsonSerializer.Deserialize(payload, clr, Options) as TrialEvent
                ?? throw new InvalidDataException($"event {type}: payload is null");
            return e is TrialCompleted { TestPredictions: null } && type == "TrialCompleted.v1"
                ? throw new InvalidDataException($"event {type}: invalid payload: testPredictions is missing")
                : e;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"event {type}: invalid payload: {ex.Message}", ex);
        }
    }

    /// <summary>The unversioned name users see, e.g. "TrialStarted".</summary>
    public static string PublicName(TrialEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.GetType().Name;
    }

    /// <summary>{"seq": .., "type": "TrialStarted", "attempt": .., then every other field in camelCase}.</summary>
    public static JsonObject ToPublicJson(long seq, TrialEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var fields = JsonSerializer.SerializeToNode(e, e.GetType(), Options)?.AsObject()
            ?? throw new InvalidOperationException("event serialized to null");
        var result = new JsonObject { ["seq"] = seq, ["type"] = PublicName(e), ["attempt"] = e.Attempt };
        fields.Remove("attempt");
        foreach (var (key, value) in fields.ToList())
        {
            fields.Remove(key);
            result[key] = value;
        }
        return result;
    }
}
