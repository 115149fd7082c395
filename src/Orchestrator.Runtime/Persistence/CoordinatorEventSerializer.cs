using Akka.Actor;
using Akka.Serialization;
using Orchestrator.Domain.Coordination;

namespace Orchestrator.Runtime.Persistence;

/// <summary>The sweep coordinator's events and snapshots as JSON under their versioned names
/// (<see cref="CoordinatorEventCatalog"/>), readable with plain SQL like the trial events.</summary>
public sealed class CoordinatorEventSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Fixed for ever: the journal's and snapshot table's <c>identifier</c> column names this serializer.</summary>
    public const int Id = 1702;

    public override int Identifier => Id;

    public override string Manifest(object o) => CoordinatorEventCatalog.StoredName(o);

    public override byte[] ToBinary(object obj) => CoordinatorEventCatalog.Serialize(obj);

    public override object FromBinary(byte[] bytes, string manifest) => CoordinatorEventCatalog.Deserialize(manifest, bytes);
}
