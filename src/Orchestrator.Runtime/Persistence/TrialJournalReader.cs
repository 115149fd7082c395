using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Runtime.Persistence;

/// <summary>An event as journaled: its sequence number in the trial's journal, and whether a newer attempt
/// superseded it (a late write of a paused or cut-off writer, which does not count).</summary>
public sealed record JournaledEvent(long Seq, TrialEvent Event, bool Superseded);

/// <summary>
/// Reads trial journals through Akka.Persistence.Query's read journal. One per process, over the process's actor
/// system (the node's own, or a reader-only system for the query commands).
/// </summary>
public sealed class TrialJournalReader
{
    private readonly SqlReadJournal _journal;
    private readonly IMaterializer _materializer;

    public TrialJournalReader(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        WaitUntilJournalReady(system, TimeSpan.FromSeconds(60));
        _journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        _materializer = system.Materializer();
    }

    /// <summary>Waits until the SQL journal is initialized (at most <paramref name="timeout"/>): Akka.Persistence.Sql's read
    /// journal gives it 5 s and throws, which a loaded box exceeded.</summary>
    private static void WaitUntilJournalReady(ActorSystem system, TimeSpan timeout)
    {
        try
        {
            system.ActorOf(PersistenceWarmup.Props()).Ask<Akka.Done>(PersistenceWarmup.Finish, timeout).Wait(timeout + TimeSpan.FromSeconds(1));
        }
        catch (AggregateException)
        {
            // Not ready in time: the read journal then fails with its own reason.
        }
    }

    /// <summary>Every event of the trial's journal in sequence order, superseded ones marked; empty for an unknown trial.</summary>
    public async Task<IReadOnlyList<JournaledEvent>> ReadAsync(string trialId, CancellationToken ct = default)
    {
        var envelopes = await _journal
            .CurrentEventsByPersistenceId(JournalSettings.PersistenceIdOf(trialId), 0, long.MaxValue)
            .RunWith(Sink.Seq<EventEnvelope>(), _materializer)
            .WaitAsync(ct)
            .ConfigureAwait(false);
        var state = TrialState.Initial;
        var result = new List<JournaledEvent>(envelopes.Count);
        foreach (var envelope in envelopes)
        {
            var e = envelope.Event as TrialEvent
                ?? throw new InvalidDataException($"trial {trialId}: event {envelope.SequenceNr} is not a trial event ({envelope.Event?.GetType().Name})");
            result.Add(new JournaledEvent(envelope.SequenceNr, e, TrialEvolution.IsSuperseded(state, e)));
            state = TrialEvolution.Evolve(state, e);
        }
        return result;
    }

    /// <summary>The trial's events that count (superseded attempts' events left out), in order.</summary>
    public async Task<IReadOnlyList<TrialEvent>> EffectiveAsync(string trialId, CancellationToken ct = default) =>
        [.. (await ReadAsync(trialId, ct).ConfigureAwait(false)).Where(e => !e.Superseded).Select(e => e.Event)];

    /// <summary>Each trial's events, read a few at a time.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<JournaledEvent>>> ReadManyAsync(IEnumerable<string> trialIds, CancellationToken ct = default)
    {
        var result = new Dictionary<string, IReadOnlyList<JournaledEvent>>(StringComparer.Ordinal);
        foreach (var chunk in trialIds.Distinct(StringComparer.Ordinal).Chunk(8))
        {
            var read = await Task.WhenAll(chunk.Select(id => ReadAsync(id, ct))).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++) result[chunk[i]] = read[i];
        }
        return result;
    }
}
