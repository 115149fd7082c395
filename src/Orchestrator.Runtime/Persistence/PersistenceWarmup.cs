using Akka.Actor;
using Akka.Persistence;
using Orchestrator.Domain.Coordination;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// Runs the journal's paths once at node start: the SQL journal and snapshot plugins start, open their connections
/// and compile their recovery path then, not when a standby coordinator takes over the singleton (measured: an 8.7 s
/// takeover on a loaded box, of which the plugins' first start was most) or a worker starts its first trial. The
/// coordinator's snapshot JSON is round-tripped for the same reason.
/// A reader (<see cref="Props(bool)"/> without a write) recovers an empty persistence id and writes nothing. A node
/// also appends one event to <see cref="WriteId"/> and deletes those before it, so that the first trial's first write
/// does not pay for compiling the insert (measured: about 0.2 s in each worker, even ReadyToRun); the journal holds
/// one row for that id, whatever the number of starts. Nodes starting at once may race for its next sequence number:
/// the loser's write is refused, which warms the same path. Told <see cref="Finish"/>, it answers
/// <see cref="Akka.Done"/> once recovered (the journal is then initialized) and stops once its write has ended.
/// </summary>
public sealed class PersistenceWarmup : ReceivePersistentActor
{
    /// <summary>The one persistence id the warm-up writes.</summary>
    public const string WriteId = "journal-warmup";

    private readonly bool _write;
    private bool _finishing;
    private bool _writing;

    public PersistenceWarmup(string persistenceId, bool write, string journalPluginId)
    {
        PersistenceId = persistenceId;
        JournalPluginId = journalPluginId;
        _write = write;
        Recover<RecoveryCompleted>(_ =>
        {
            var snapshot = new WorkQueue().Snapshot();
            CoordinatorEventCatalog.Deserialize(CoordinatorEventCatalog.StoredName(snapshot), CoordinatorEventCatalog.Serialize(snapshot));
            if (!_write) return;
            _writing = true;
            // A plain string (Akka's own serializer): nothing that reads trial or coordinator events matches it.
            // Async: Finish is answered at once (commands do not wait for this write).
            PersistAsync("journal warm-up", _ => DeleteMessages(LastSequenceNr));
        });
        Command<FinishWarmup>(_ =>
        {
            Sender.Tell(Akka.Done.Instance);
            _finishing = true;
            StopWhenDone();
        });
        Command<DeleteMessagesSuccess>(_ => Written());
        Command<DeleteMessagesFailure>(_ => Written());
    }

    public sealed record FinishWarmup;

    /// <summary>Handled after the recovery (commands wait for it): answered, then the actor stops.</summary>
    public static FinishWarmup Finish { get; } = new();

    public override string PersistenceId { get; }

    /// <summary>Recovery only, under a fresh id ("warmup-" and a GUID); with <paramref name="write"/>, also the write
    /// and delete under <see cref="WriteId"/>. On the trials' journal plugin unless <paramref name="journalPluginId"/> says
    /// another (<see cref="JournalSettings.CoordinatorJournalPlugin"/>).</summary>
    public static Props Props(bool write = false, string journalPluginId = JournalSettings.JournalPlugin) => Akka.Actor.Props.Create(() =>
        new PersistenceWarmup(write ? WriteId : $"warmup-{Guid.NewGuid():N}", write, journalPluginId));

    private void Written()
    {
        _writing = false;
        StopWhenDone();
    }

    private void StopWhenDone()
    {
        if (_finishing && !_writing) Context.Stop(Self);
    }

    /// <summary>Another node took the sequence number first: nothing to report, the path is warm all the same.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr) => Context.Stop(Self);

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr) => Written();
}
