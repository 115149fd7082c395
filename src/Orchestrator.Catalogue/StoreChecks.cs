namespace Orchestrator.Catalogue;

/// <summary>What both stores check before touching the database, and how both open: migrated, or disposed.</summary>
internal static class StoreChecks
{
    public static void Registration(SweepRecord sweep, IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(trials);
        foreach (var t in trials)
        {
            if (t.SweepId != sweep.Id)
                throw new ArgumentException($"trial {t.Id} belongs to sweep {t.SweepId}, not {sweep.Id}", nameof(trials));
        }
    }

    public static void Updates(IReadOnlyList<TrialRowUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        foreach (var u in updates) ArgumentException.ThrowIfNullOrEmpty(u.TrialId.Value, nameof(updates));
    }

    /// <summary>Migrates a new store; on failure disposes it and rethrows.</summary>
    public static async Task<T> MigratedAsync<T>(T store, CancellationToken ct) where T : ISweepCatalogue
    {
        try
        {
            await store.MigrateAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return store;
    }
}
