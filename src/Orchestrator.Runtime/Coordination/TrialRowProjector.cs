using Akka.Actor;
using Orchestrator.Catalogue;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Runtime.Coordination;

/// <summary>Changed trial rows and sweep flags, to be written to the store.</summary>
public sealed record RowsChanged(IReadOnlyList<TrialRowUpdate> Trials, IReadOnlyDictionary<SweepId, bool> SweepsCancelled);

/// <summary>
/// Writes the coordinator's view of its trials onto the store's trial rows, which the query commands read: changes
/// are gathered and written in one transaction at a time, so a burst of assignments costs a few writes. A store that
/// is down is retried every second; the rows catch up once it is back (the coordinator's journal is the truth).
/// </summary>
public sealed class TrialRowProjector : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);
    private readonly ISweepCatalogue _store;
    private readonly IRunObserver _observer;
    private readonly Dictionary<TrialId, TrialRowUpdate> _trials = [];
    private readonly Dictionary<SweepId, bool> _sweeps = [];
    private readonly List<IActorRef> _flushWaiters = [];
    private bool _writing;
    private bool _failing;

    public TrialRowProjector(ISweepCatalogue store, IRunObserver observer)
    {
        _store = store;
        _observer = observer;
        Receive<RowsChanged>(changed =>
        {
            foreach (var row in changed.Trials) _trials[row.TrialId] = row;
            foreach (var (sweep, cancelled) in changed.SweepsCancelled) _sweeps[sweep] = cancelled;
            if (!_writing && !Timers.IsTimerActive("write")) Timers.StartSingleTimer("write", Write.Instance, Gather);
        });
        Receive<FlushRows>(_ =>
        {
            _flushWaiters.Add(Sender);
            WriteNow();
        });
        Receive<Write>(_ => WriteNow());
        Receive<Written>(written =>
        {
            _writing = false;
            if (_failing) _observer.Note("coordinator: trial rows written again");
            _failing = false;
            WriteNow();
        });
        Receive<WriteFailed>(failed =>
        {
            _writing = false;
            // Put back what is not newer already, and try again shortly.
            foreach (var row in failed.Trials) _trials.TryAdd(row.TrialId, row);
            foreach (var (sweep, cancelled) in failed.Sweeps) _sweeps.TryAdd(sweep, cancelled);
            if (!_failing) _observer.Note($"coordinator: trial rows not written ({failed.Cause.GetType().Name}: {failed.Cause.Message}); retrying");
            _failing = true;
            Timers.StartSingleTimer("write", Write.Instance, Retry);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ISweepCatalogue store, IRunObserver observer) =>
        Akka.Actor.Props.Create(() => new TrialRowProjector(store, observer));

    private void WriteNow()
    {
        if (_writing) return;
        if (_trials.Count == 0 && _sweeps.Count == 0)
        {
            foreach (var waiter in _flushWaiters) waiter.Tell(new RowsFlushed());
            _flushWaiters.Clear();
            return;
        }
        var trials = _trials.Values.ToList();
        var sweeps = new Dictionary<SweepId, bool>(_sweeps);
        _trials.Clear();
        _sweeps.Clear();
        _writing = true;
        var store = _store;
        WriteAsync(store, trials, sweeps).PipeTo(Self, success: () => Written.Instance, failure: ex => new WriteFailed(trials, sweeps, ex));
    }

    private static async Task WriteAsync(ISweepCatalogue store, List<TrialRowUpdate> trials, Dictionary<SweepId, bool> sweeps)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (sweep, cancelled) in sweeps) await store.SetSweepCancelledAsync(sweep, cancelled, now).ConfigureAwait(false);
        await store.UpdateTrialsAsync(trials).ConfigureAwait(false);
    }

    private sealed record Write
    {
        public static Write Instance { get; } = new();
    }

    private sealed record Written
    {
        public static Written Instance { get; } = new();
    }

    private sealed record WriteFailed(List<TrialRowUpdate> Trials, Dictionary<SweepId, bool> Sweeps, Exception Cause);
}
