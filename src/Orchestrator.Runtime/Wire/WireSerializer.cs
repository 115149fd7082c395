using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;

namespace Orchestrator.Runtime.Wire;

/// <summary>
/// The <see cref="IWireMessage"/>s as UTF-8 JSON, under the short name <see cref="WireMessages"/> gives each type (no
/// .NET type name travels, so a renamed type or namespace still reads on a node of the previous build). The JSON is
/// the record's constructor: computed properties stay home; a missing field, a null where none may be, or an enum as a
/// number is refused on read.
/// </summary>
public sealed class WireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Fixed for ever: the nodes of a rolling upgrade must agree on it.</summary>
    public const int Id = 1703;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { ConstructorDataOnly } },
    };

    public override int Identifier => Id;

    public override string Manifest(object o) => WireMessages.NameOf(o.GetType())
        ?? throw new SerializationException($"{o.GetType().FullName} is not a registered wire message (see {nameof(WireMessages)})");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = WireMessages.TypeNamed(manifest)
            ?? throw new SerializationException($"no wire message is named '{manifest}' in this build (a node of another version?)");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, Json) ?? throw new SerializationException($"the wire message '{manifest}' is null");
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"the wire message '{manifest}' cannot be read as {type.Name}: {ex.Message}", ex);
        }
    }

    /// <summary>Drops the properties no constructor parameter or setter takes (e.g. <c>StopTrial.Exit</c>): they are
    /// computed from the others on arrival.</summary>
    private static void ConstructorDataOnly(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
            if (info.Properties[i] is { Set: null, AssociatedParameter: null }) info.Properties.RemoveAt(i);
    }
}
