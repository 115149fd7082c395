namespace Orchestrator.Store;

/// <summary>Wake-ups for idle workers: a store that can tell when trials may have become claimable (a sweep
/// registered or resumed, a trial released, leases expired) saves them from polling.</summary>
public interface IWorkSignal
{
    /// <summary>Returns when work may be claimable, or after <paramref name="timeout"/> at the latest.</summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct = default);
}
