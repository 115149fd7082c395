using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;

// Write, recovery and read rates of the product's journal (Akka.Persistence.Sql, with the product's HOCON and
// TrialEventSerializer) for the events a trial really writes: AttemptStarted, TrialStarted, then per epoch one
// PersistAll of EpochCompleted (+ BestImproved every other epoch) + CheckpointSaved, each write awaited before the next.
const string Usage = "usage: JournalBench STORE_URL [TRIALS=100] [EPOCHS=20] [SEQUENTIAL_EPOCHS=200] [RECOVERY_ROUNDS=5] "
    + "[--batch-size N] [--parallelism N] [--buffer-size N] [--db-round-trip-max-batch-size N] [--replay-batch-size N] [--max-concurrent-recoveries N]";
string[] tunables = ["batch-size", "parallelism", "buffer-size", "db-round-trip-max-batch-size", "replay-batch-size", "max-concurrent-recoveries"];
var positional = new List<string>();
var overrides = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal))
    {
        positional.Add(args[i]);
        continue;
    }
    if (!tunables.Contains(args[i][2..]) || i + 1 == args.Length) throw new ArgumentException(Usage);
    overrides.Add($"{JournalSettings.JournalPlugin}.{args[i][2..]} = {int.Parse(args[++i], CultureInfo.InvariantCulture)}");
}
if (positional.Count is 0 or > 5) throw new ArgumentException(Usage);
int Arg(int index, int fallback) => positional.Count > index ? int.Parse(positional[index], CultureInfo.InvariantCulture) : fallback;
var (trials, epochs, sequentialEpochs, recoveryRounds) = (Arg(1, 100), Arg(2, 20), Arg(3, 200), Arg(4, 5));
if (recoveryRounds < 2) throw new ArgumentException(Usage + " (RECOVERY_ROUNDS at least 2)");

var location = StoreUrl.Parse(positional[0]);
if (location.Kind == StoreKind.Sqlite && File.Exists(location.DatabasePath))
    throw new ArgumentException($"{location.DatabasePath} exists: name a new file, each run starts from an empty journal");
// The product opens its store (its tables; for SQLite the file's WAL mode) before its actor system starts.
await (await StoreFactory.OpenAsync(location)).DisposeAsync();
// PostgreSQL keeps earlier runs' rows: this run's trials have persistence ids of their own.
var run = $"bench-{Guid.NewGuid():N}"[..14];

// A plain local actor system with the product's journals and serializers (RuntimeConfig.Reader): a node
// (RuntimeConfig.Node) adds remoting and a cluster on top of the same persistence settings, which a journal's
// writes and replays do not go through.
var hosted = await HostedActorSystem.StartAsync("journal-bench", builder => builder.Reader(location)
    .AddHocon(ConfigurationFactory.ParseString(string.Join('\n', overrides)), HoconAddMode.Prepend));
var system = hosted.System;
try
{
    // Spawns a trial actor per id (0 epochs: recovery only); the events they wrote or replayed, and how long it took.
    async Task<(long Events, double Seconds)> Trials(IReadOnlyList<string> trialIds, int trialEpochs)
    {
        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(trialIds.Select(id =>
        {
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(Props.Create(() => new BenchTrial(id, trialEpochs, done)));
            return done.Task;
        }));
        return (counts.Sum(), watch.Elapsed.TotalSeconds);
    }
    static void Check(long actual, long expected, string what)
    {
        if (actual != expected) throw new InvalidOperationException($"{what}: {actual} events, expected {expected}");
    }
    var reader = new TrialJournalReader(system);

    // Warm-up (JIT, connection pools, the journal's tables): one small trial written, recovered and read.
    string[] warmup = [$"{run}-warmup"];
    Check((await Trials(warmup, 5)).Events, BenchTrial.EventsOf(5), "warm-up write");
    Check((await Trials(warmup, 0)).Events, BenchTrial.EventsOf(5), "warm-up recovery");
    Check((await reader.ReadAsync(warmup[0])).Count, BenchTrial.EventsOf(5), "warm-up read");

    // In effect: the product's HOCON and the overrides, then the plugin's reference defaults; a plugin without its own
    // max-concurrent-recoveries has Akka.Persistence's.
    var journal = system.Settings.Config.WithFallback(SqlPersistence.Get(system).DefaultConfig).GetConfig(JournalSettings.JournalPlugin)
        .WithFallback(ConfigurationFactory.ParseString($"max-concurrent-recoveries = {system.Settings.Config.GetInt("akka.persistence.max-concurrent-recoveries")}"));
    var settings = string.Join(", ", tunables.Select(t => $"{t} {journal.GetString(t)}"));
    Console.WriteLine($"store: {location.Kind} {location.DatabasePath}, run {run}; journal {settings}");

    var figures = new List<double>();
    void Print(string what, string detail, long events, double seconds, long writes = 0)
    {
        Console.WriteLine($"{what}: {detail}, {events} events in {seconds:F2} s");
        Console.WriteLine($"{what} events: {events / seconds:N0} events/s");
        if (writes > 0) Console.WriteLine($"{what} writes: {writes / seconds:N0} writes/s (a Persist or an epoch's PersistAll each)");
        figures.Add(events / seconds);
    }

    var (events, seconds) = await Trials([$"{run}-seq"], sequentialEpochs);
    Check(events, BenchTrial.EventsOf(sequentialEpochs), "sequential");
    Print("sequential", $"1 trial x {sequentialEpochs} epochs", events, seconds, sequentialEpochs + 2);

    var ids = Enumerable.Range(0, trials).Select(i => $"{run}-{i:D4}").ToList();
    (events, seconds) = await Trials(ids, epochs);
    Check(events, trials * BenchTrial.EventsOf(epochs), "concurrent");
    Print("concurrent", $"{trials} trials x {epochs} epochs at once", events, seconds, trials * (epochs + 2L));

    // Each round spawns new actors of the same trials. The first round runs the recovery path's code as the JIT first
    // compiled it, as a restarted node does; a round lasts about 0.1 s, so the later rounds' median is the steadier figure.
    var rounds = new List<double>();
    for (var round = 1; round <= recoveryRounds; round++)
    {
        (events, seconds) = await Trials(ids, 0);
        Check(events, trials * BenchTrial.EventsOf(epochs), $"recovery round {round}");
        if (round == 1) Print("recovery", $"{trials} trial actors spawned at once until all had RecoveryCompleted, first round", events, seconds);
        else rounds.Add(events / seconds);
    }
    rounds.Sort();
    var median = rounds.Count % 2 == 1 ? rounds[rounds.Count / 2] : (rounds[rounds.Count / 2 - 1] + rounds[rounds.Count / 2]) / 2;
    Console.WriteLine($"recovery rounds 2-{recoveryRounds}: {string.Join(" / ", rounds.Select(r => r.ToString("N0")))} events/s; median {median:N0} events/s");
    figures.Add(median);

    var watch = Stopwatch.StartNew();
    events = 0;
    foreach (var id in ids) events += (await reader.ReadAsync(id)).Count;
    Check(events, trials * BenchTrial.EventsOf(epochs), "read journal");
    Print("read journal", $"TrialJournalReader.ReadAsync of the {trials} trials one after another", events, watch.Elapsed.TotalSeconds);

    Console.WriteLine("previous journal (README; 4 writers, 200 streams x 20 epochs): PostgreSQL 2,192 appends/s (5,324 events/s), 45,058 replayed events/s");
    Console.WriteLine("previous journal (README; 4 writers, 200 streams x 20 epochs): SQLite 1,520 appends/s (3,690 events/s), 58,294 replayed events/s");
    // One table row: store, settings, then sequential, concurrent, recovery (first round), recovery (median of the
    // later rounds) and read-journal events/s.
    Console.WriteLine($"| {location.Kind} | {settings} | {string.Join(" | ", figures.Select(f => f.ToString("N0")))} |");
}
finally
{
    await hosted.DisposeAsync();
}

/// <summary>A trial's journal writes without its training: each write is awaited before the next, as
/// <c>TrialActor</c> does. With 0 epochs it only recovers (folding with <see cref="TrialEvolution.Evolve"/>) and
/// reports the events replayed; otherwise it reports the events it wrote.</summary>
internal sealed class BenchTrial : ReceivePersistentActor
{
    private const int Attempt = 1;
    private static readonly string Sha256 = new('5', 64);
    private readonly string _trialId;
    private readonly int _epochs;
    private readonly TaskCompletionSource<long> _done;
    private TrialState _state = TrialState.Initial;
    private long _events;

    public BenchTrial(string trialId, int epochs, TaskCompletionSource<long> done)
    {
        (_trialId, _epochs, _done) = (trialId, epochs, done);
        Recover<TrialEvent>(Apply);
        Recover<RecoveryCompleted>(_ =>
        {
            if (_epochs == 0)
            {
                Finish();
                return;
            }
            Persist(new AttemptStarted("bench") { Attempt = Attempt }, started =>
            {
                Apply(started);
                var trial = new TrialStarted(Strategy.Dynamic, "lightweight-cnn", 4, 1e-3, 2, 2, 0.1, _epochs, 0, StopPolicy.PlateauAfterFullUnfreeze, 0, 1);
                Persist(trial with { Attempt = Attempt }, e =>
                {
                    Apply(e);
                    Epoch(1);
                });
            });
        });
    }

    public override string PersistenceId => JournalSettings.PersistenceIdOf(_trialId);

    /// <summary>As <c>TrialActor</c>: trials take no snapshots, so recovery does not ask the snapshot store.</summary>
    public override Recovery Recovery { get; } = new(SnapshotSelectionCriteria.None);

    /// <summary>The events a trial of <paramref name="epochs"/> epochs writes.</summary>
    public static long EventsOf(int epochs) => 2 + 2L * epochs + (epochs + 1) / 2;

    private static List<TrialEvent> EpochEventsOf(int epoch)
    {
        var valLoss = 1.0 / epoch;
        var events = new List<TrialEvent> { new EpochCompleted(epoch, 0.9 * valLoss, valLoss, 0.81, 0.79, 1e-3, 1, epoch % 2, 12.5) };
        if (epoch % 2 == 1) events.Add(new BestImproved(epoch, valLoss, CheckpointNames.Best(0, epoch), Sha256));
        events.Add(new CheckpointSaved(epoch, CheckpointNames.Latest(0, epoch), Sha256));
        return events.ConvertAll(e => e with { Attempt = Attempt });
    }

    private void Epoch(int epoch)
    {
        if (epoch > _epochs)
        {
            Finish();
            return;
        }
        var events = EpochEventsOf(epoch);
        var left = events.Count;
        PersistAll(events, e =>
        {
            Apply(e);
            if (--left == 0) Epoch(epoch + 1);
        });
    }

    private void Apply(TrialEvent e)
    {
        _state = TrialEvolution.Evolve(_state, e);
        _events++;
    }

    private void Finish()
    {
        _done.TrySetResult(_events);
        Context.Stop(Self);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _done.TrySetException(reason);
        base.OnRecoveryFailure(reason, message);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _done.TrySetException(cause);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _done.TrySetException(cause);
        base.OnPersistRejected(cause, @event, sequenceNr);
    }
}
