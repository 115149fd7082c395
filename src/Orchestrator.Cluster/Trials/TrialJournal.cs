using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using Orchestrator.Store;

namespace Orchestrator.Cluster.Trials;

/// <summary>
/// A trial's stream as seen by its current lease holder: the folded state, the last sequence number, and
/// appends that carry both (expected sequence, lease epoch) so a writer that lost its lease is refused.
/// </summary>
public sealed class TrialJournal
{
    private readonly IOrchestratorStore _store;
    private readonly TrialLease _lease;
    private readonly TimeProvider _clock;

    private readonly List<CheckpointSaved> _checkpoints;

    private TrialJournal(IOrchestratorStore store, TrialLease lease, TimeProvider clock, TrialState state, long lastSeq, List<CheckpointSaved> checkpoints)
    {
        _store = store;
        _lease = lease;
        _clock = clock;
        State = state;
        LastSeq = lastSeq;
        _checkpoints = checkpoints;
    }

    public string TrialId => _lease.TrialId;

    public TrialState State { get; private set; }
    public long LastSeq { get; private set; }

    /// <summary>Every resumable checkpoint the journal names, oldest first.</summary>
    public IReadOnlyList<CheckpointSaved> Checkpoints => _checkpoints;

    public static async Task<TrialJournal> LoadAsync(IOrchestratorStore store, TrialLease lease, TimeProvider clock, CancellationToken ct)
    {
        // Every claim raises the lease epoch and every append needs a lease, so under the first lease the stream is
        // still empty. (Were it not, the first append would be refused as a concurrent write, never misapplied.)
        var stored = lease.Epoch == 1 ? [] : await store.ReadStreamAsync(lease.TrialId, ct);
        var events = stored.Select(e => EventCatalog.Deserialize(e.Type, e.Payload)).ToList();
        return new TrialJournal(store, lease, clock, TrialEvolution.Replay(events), stored.Count == 0 ? 0 : stored[^1].Seq,
            events.OfType<CheckpointSaved>().ToList());
    }

    public async Task AppendAsync(IReadOnlyList<TrialEvent> events, CancellationToken ct)
    {
        var data = events.Select(e =>
        {
            var serialized = EventCatalog.Serialize(e);
            return new EventData(serialized.Type, serialized.Payload);
        }).ToList();
        LastSeq = await _store.AppendAsync(_lease.TrialId, LastSeq, _lease.Epoch, data, _clock.GetUtcNow(), ct);
        State = events.Aggregate(State, TrialEvolution.Evolve);
        _checkpoints.AddRange(events.OfType<CheckpointSaved>());
    }
}
