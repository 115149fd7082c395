using Akka.Actor;
using Akka.Persistence;
using Orchestrator.Domain.Coordination;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// Recovers an empty persistence id once at node start and stops, writing nothing: the SQL journal and snapshot
/// plugins start, open their connections and compile their recovery path then, not when a standby coordinator takes
/// over the singleton (measured: an 8.7 s takeover on a loaded box, of which the plugins' first start was most) or a
/// worker starts its first trial. The coordinator's snapshot JSON is round-tripped for the same reason. Told
/// <see cref="Finish"/>, it answers <see cref="Akka.Done"/> once recovered (the journal is then initialized) and stops.
/// </summary>
public sealed class PersistenceWarmup : ReceivePersistentActor
{
    public PersistenceWarmup(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<RecoveryCompleted>(_ =>
        {
            var snapshot = new WorkQueue().Snapshot();
            CoordinatorEventCatalog.Deserialize(CoordinatorEventCatalog.StoredName(snapshot), CoordinatorEventCatalog.Serialize(snapshot));
        });
        Command<FinishWarmup>(_ =>
        {
            Sender.Tell(Akka.Done.Instance);
            Context.Stop(Self);
        });
    }

    public sealed record FinishWarmup;

    /// <summary>Handled after the recovery (commands wait for it): answered, then the actor stops.</summary>
    public static FinishWarmup Finish { get; } = new();

    public override string PersistenceId { get; }

    /// <summary>A persistence id no one writes: "warmup-" and a fresh GUID.</summary>
    public static Props Props() => Akka.Actor.Props.Create(() => new PersistenceWarmup($"warmup-{Guid.NewGuid():N}"));
}
