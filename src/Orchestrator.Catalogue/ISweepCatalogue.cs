using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Catalogue;

public sealed record SweepRecord(SweepId Id, string Name, string SpecYaml, DateTimeOffset CreatedAt);

/// <summary>A trial row. <c>SpecJson</c> is the canonical TrialSpec JSON its id hashes. Status, the slot it is
/// assigned to and the number of assignments are the sweep coordinator's, projected here for the query commands.</summary>
public sealed record TrialRecord(
    TrialId Id,
    SweepId SweepId,
    string SpecJson,
    TrialStatus Status,
    string? AssignedTo,
    int Attempts,
    DateTimeOffset UpdatedAt);

/// <summary>What the coordinator says of one trial now (its journal holds why).</summary>
public sealed record TrialRowUpdate(TrialId TrialId, TrialStatus Status, string? AssignedTo, int Attempts, DateTimeOffset UpdatedAt);

/// <summary>
/// The catalogue of sweeps and trials (their specs), with the sweep coordinator's view of each projected onto it.
/// The coordinator's own journal and the trials' journals live in Akka.Persistence's tables; these rows are what the
/// query commands read. SQLite and PostgreSQL pass the same conformance suite. All times are passed in by the caller.
/// </summary>
public interface ISweepCatalogue : IAsyncDisposable
{
    /// <summary>Creates the schema if absent. Safe when several processes do it at once.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    /// <summary>Inserts the sweep and those trials whose id is not stored yet; returns how many trials were new.</summary>
    Task<int> RegisterSweepAsync(SweepRecord sweep, IReadOnlyList<TrialRecord> trials, CancellationToken ct = default);

    Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(CancellationToken ct = default);
    Task<SweepRecord?> GetSweepAsync(SweepId sweepId, CancellationToken ct = default);
    Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(SweepId sweepId, CancellationToken ct = default);
    Task<TrialRecord?> GetTrialAsync(TrialId trialId, CancellationToken ct = default);

    /// <summary>Writes the coordinator's view of these trials in one transaction; unknown trial ids are skipped.</summary>
    Task UpdateTrialsAsync(IReadOnlyList<TrialRowUpdate> updates, CancellationToken ct = default);

    /// <summary>Records whether the coordinator holds the sweep cancelled. False when there is no such sweep.</summary>
    Task<bool> SetSweepCancelledAsync(SweepId sweepId, bool cancelled, DateTimeOffset now, CancellationToken ct = default);

    Task<bool> IsSweepCancelledAsync(SweepId sweepId, CancellationToken ct = default);
}
