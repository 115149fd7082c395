using Npgsql;

namespace Orchestrator.Store.Postgres;

/// <summary>LISTEN/NOTIFY wake-ups: writes that make trials claimable notify <see cref="WorkChannel"/> in their
/// transaction (delivered on commit); one listening connection per store wakes its waiters. Should the
/// listener be down, waiters still return at their timeout, so the worst case is polling.</summary>
public sealed partial class PostgresStore : IWorkSignal
{
    internal const string WorkChannel = "orchestrator_work";

    private readonly CancellationTokenSource _stopListening = new();
    private TaskCompletionSource _work = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _listening;

    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var work = Volatile.Read(ref _work).Task;
        if (Interlocked.CompareExchange(ref _listening, Task.CompletedTask, null) is null)
            _listening = Task.Run(() => ListenAsync(_stopListening.Token));
        await Task.WhenAny(work, Task.Delay(timeout, ct)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }

    private static Task NotifyWorkAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct) =>
        ExecAsync(conn, tx, $"SELECT pg_notify('{WorkChannel}', '');", ct);

    private async Task ListenAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var conn = await _unpooled.OpenConnectionAsync(stop).ConfigureAwait(false);
                conn.Notification += (_, _) =>
                    Interlocked.Exchange(ref _work, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                await using (var listen = new NpgsqlCommand($"LISTEN {WorkChannel};", conn))
                    await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                while (!stop.IsCancellationRequested)
                    await conn.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsTransient(ex) || ex is NpgsqlException or InvalidOperationException)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async ValueTask StopListeningAsync()
    {
        await _stopListening.CancelAsync().ConfigureAwait(false);
        if (_listening is { } listening) await listening.ConfigureAwait(false);
        _stopListening.Dispose();
    }
}
