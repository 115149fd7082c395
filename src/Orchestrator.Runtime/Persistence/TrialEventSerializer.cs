using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Orchestrator.Domain.Events;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// Writes trial events into the journal as UTF-8 JSON under their versioned name (the manifest column holds e.g.
/// <c>EpochCompleted.v1</c>), so a journal reads with plain SQL and outlives refactorings: no .NET type names are stored.
/// </summary>
public sealed class TrialEventSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Fixed for ever: the journal's <c>identifier</c> column names this serializer.</summary>
    public const int Id = 1701;

    public override int Identifier => Id;

    public override string Manifest(object o) => o is TrialEvent e
        ? EventCatalog.StoredName(e)
        : throw new ArgumentException($"{o.GetType().Name} is not a trial event", nameof(o));

    public override byte[] ToBinary(object obj) => obj is TrialEvent e
        ? Encoding.UTF8.GetBytes(EventCatalog.Serialize(e).Payload)
        : throw new ArgumentException($"{obj.GetType().Name} is not a trial event", nameof(obj));

    public override object FromBinary(byte[] bytes, string manifest) =>
        EventCatalog.Deserialize(manifest, Encoding.UTF8.GetString(bytes));
}
