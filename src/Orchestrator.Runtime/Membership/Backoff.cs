namespace Orchestrator.Runtime.Membership;

/// <summary>Exponential backoff with one note per outage (not one per retry), shared by the loops of a process.</summary>
internal sealed class Backoff(IRunObserver observer)
{
    private long _delayMs;

    public async Task WaitAsync(string what, Exception ex, TimeProvider clock, CancellationToken ct)
    {
        var previous = Interlocked.Read(ref _delayMs);
        var next = previous == 0 ? 500 : Math.Min(previous * 2, 15_000);
        Interlocked.Exchange(ref _delayMs, next);
        if (previous == 0) observer.Note($"{what}: {ex.GetType().Name}: {ex.Message}; retrying with backoff");
        await Task.Delay(TimeSpan.FromMilliseconds(next), clock, ct);
    }

    public void Recovered()
    {
        if (Interlocked.Exchange(ref _delayMs, 0) != 0) observer.Note("store reachable again");
    }
}
