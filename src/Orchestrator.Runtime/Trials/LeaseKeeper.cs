using Orchestrator.Store;

namespace Orchestrator.Runtime.Trials;

/// <summary>
/// Renews a trial lease in the background (every third of its duration). When the store says the lease is
/// no longer ours, or it could not be renewed before it expired, <see cref="Lost"/> is cancelled and the
/// trial runner stops: whatever it tries to append afterwards is rejected by the fencing check anyway.
/// </summary>
public sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LeaseKeeper(IOrchestratorStore store, TrialLease lease, TimeSpan duration, TimeProvider clock)
    {
        _loop = Task.Run(() => RenewLoopAsync(store, lease, duration, clock));
    }

    public CancellationToken Lost => _lost.Token;

    private async Task RenewLoopAsync(IOrchestratorStore store, TrialLease lease, TimeSpan duration, TimeProvider clock)
    {
        var expires = lease.ExpiresAt;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(duration / 3, clock, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var now = clock.GetUtcNow();
            try
            {
                if (!await store.RenewLeaseAsync(lease, now, duration, _stop.Token))
                {
                    await _lost.CancelAsync();
                    return;
                }
                expires = now + duration;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // A busy or briefly unreachable store: try again next round, give up once the lease has run out.
                if (clock.GetUtcNow() >= expires)
                {
                    await _lost.CancelAsync();
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _lost.Dispose();
    }
}
