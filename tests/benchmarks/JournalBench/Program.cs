using System.Diagnostics;
using System.Globalization;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Store;

// Journal append and replay rates of a store, with the events a trial really writes: one TrialStarted, then
// per epoch one fenced append of EpochCompleted + CheckpointSaved (and BestImproved on improving epochs).
var url = args.Length > 0 ? args[0] : throw new ArgumentException("usage: JournalBench STORE_URL [STREAMS] [EPOCHS] [WRITERS]");
var streams = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var epochs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
var writers = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 4;

await using var store = await StoreFactory.OpenAsync(url);
var now = DateTimeOffset.UtcNow;
var sweep = $"bench-{Guid.NewGuid():N}"[..16];
var trials = Enumerable.Range(0, streams).Select(i => new TrialRecord($"{sweep}-{i:D5}", sweep, "{}", TrialStatus.Pending, null, 0, null, 0, now)).ToList();
await store.RegisterSweepAsync(new SweepRecord(sweep, sweep, "bench", now), trials);

static EventData Data(TrialEvent e)
{
    var s = EventCatalog.Serialize(e);
    return new EventData(s.Type, s.Payload);
}

var appends = 0L;
var events = 0L;
var watch = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    while (await store.TryClaimTrialAsync(sweep, $"bench/w{w}", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10)) is { } lease)
    {
        var seq = await store.AppendAsync(lease.TrialId, 0, lease.Epoch,
            [Data(new TrialStarted(Strategy.Dynamic, "lightweight-cnn", 4, 1e-3, 2, 2, 0.1, epochs, 0, StopPolicy.PlateauAfterFullUnfreeze, 0, 1))], DateTimeOffset.UtcNow);
        Interlocked.Increment(ref appends);
        Interlocked.Increment(ref events);
        for (var e = 1; e <= epochs; e++)
        {
            var batch = new List<EventData> { Data(new EpochCompleted(e, 1.0 / e, 1.0 / e, 0.5, 0.4, 1e-3, 0, 0, 1.0)) };
            if (e % 2 == 1) batch.Add(Data(new BestImproved(e, 1.0 / e, CheckpointNames.Best(e), new string('a', 64))));
            batch.Add(Data(new CheckpointSaved(e, CheckpointNames.Latest(e), new string('b', 64))));
            seq = await store.AppendAsync(lease.TrialId, seq, lease.Epoch, batch, DateTimeOffset.UtcNow);
            Interlocked.Increment(ref appends);
            Interlocked.Add(ref events, batch.Count);
        }
        await store.FinishTrialAsync(lease, TrialStatus.Completed, DateTimeOffset.UtcNow);
    }
})));
var appendSeconds = watch.Elapsed.TotalSeconds;

watch.Restart();
var replayed = 0L;
foreach (var t in trials)
{
    var stored = await store.ReadStreamAsync(t.Id);
    var state = TrialEvolution.Replay(stored.Select(e => EventCatalog.Deserialize(e.Type, e.Payload)));
    if (state.EpochsDone != epochs) throw new InvalidOperationException($"{t.Id}: replayed {state.EpochsDone} epochs, expected {epochs}");
    replayed += stored.Count;
}
var replaySeconds = watch.Elapsed.TotalSeconds;

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {url.Split(':')[0]} | {writers} | {appends} appends / {events} events in {appendSeconds:F2}s | {appends / appendSeconds:F0} appends/s, {events / appendSeconds:F0} events/s | {replayed} events of {streams} streams in {replaySeconds:F2}s | {replayed / replaySeconds:F0} events/s |"));
