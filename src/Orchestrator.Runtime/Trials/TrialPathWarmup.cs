using Akka.Actor;
using Akka.Event;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Metrics;
using Orchestrator.Domain.Sampling;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Wire;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Trials;

/// <summary>
/// Runs once at node start, while the node joins the cluster, what a trial's start does for the first time in a
/// process and pays for then: reading a spec's JSON, writing and reading each kind of trial event as the journal does,
/// every message type that crosses the network (the sample <see cref="WireMessages"/> registers with it) through the
/// serializer the system binds it to, out and back so on both roles, a trial row query on the store's connection
/// pool, reading a dataset manifest's JSON, an epoch's sample plan and its metrics. Measured on
/// a busy 2-core box: the first trial of a standing worker started 0.2 to 0.25 s after its sweep was launched, of
/// which these were about 0.2 s (the spec's JSON alone 76 to 124 ms), and its first epoch took some 80 ms longer
/// than the next (the manifest alone about 50 ms). It writes nothing: what it reads and round-trips is made for it in
/// memory.
/// </summary>
public static class TrialPathWarmup
{
    /// <summary>Never throws: a path it could not run is only slower the first time. False when it stopped early.</summary>
    public static async Task<bool> RunAsync(ActorSystem system, ISweepCatalogue? store, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        try
        {
            var spec = TrialSpecJson.Deserialize(TrialSpecJson.Canonical(Sample));
            foreach (var message in Events(spec).Concat<object>(WireMessages.All.Select(t => t.Sample))) RoundTrip(system, message);
            var manifest = ManifestJson.Deserialize(ManifestJson.Serialize(SampleManifest));
            int[] indices = [0, 1, 2, 3], labels = [0, 1, 0, 1];
            foreach (var balance in Enum.GetValues<ClassBalance>()) EpochPlan.For(balance, indices, labels, manifest.Classes.Count, 1, 1);
            ClassificationMetrics.Compute(labels, [0, 1, 1, 1], manifest.Classes.Count);
            if (store is not null) await store.GetTrialAsync(new TrialId("t-warm-up"), ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            system.Log.Debug("trial path warm-up stopped early: {0}", ex.Message);
            return false;
        }
    }

    private static readonly DatasetManifest SampleManifest = new(DatasetManifest.FormatName, DatasetManifest.CurrentVersion, true, 2, 2,
        "images.u8", ["a", "b"], [new ManifestItem(0, 0, "p", Splits.Train, "s"), new ManifestItem(1, 1, "q", Splits.Test, "t")], "0", "warm-up");

    private static readonly TrialSpec Sample = new("warm-up", Backbones.LightweightCnn, Strategy.Dynamic, 0.01, 1, 1, 0.1, 4, 0, 0,
        StopPolicy.PlateauAfterFullUnfreeze, 10, Optimizer.Adam, 8, 32, 1, new DataSpec("warm-up", new SynthesizeSpec(8, 16, 1)));

    /// <summary>A trial's events as the pure decider makes them (improving, then on a plateau: unfreeze, restore,
    /// stop), with the events around them.</summary>
    private static IEnumerable<TrialEvent> Events(TrialSpec spec)
    {
        yield return new AttemptStarted("warm-up");
        var started = TrialDecider.Start(spec, 2);
        yield return started;
        var state = TrialEvolution.Evolve(TrialState.Initial, started);
        foreach (var loss in new[] { 1.0, 0.9, 0.9, 0.9, 0.9 })
        {
            if (state.Phase != TrialPhase.Training) break;
            var decision = TrialDecider.Decide(state, new EpochOutcome(loss + 0.1, loss, 0.5, 0.5, 0.1));
            var files = new EffectResults(Saved(decision.BestCheckpointName), Saved(decision.CheckpointName));
            foreach (var e in EpochEvents.Record(decision, files))
            {
                state = TrialEvolution.Evolve(state, e);
                yield return e;
            }
        }
        yield return new TrialCompleted(1, 0.9, 5, 0.9, 0.5, 0.5, [[1, 0], [0, 1]], [0, 1], [0, 1], [[1f, 0f], [0f, 1f]], ["a", "b"], 1, 0.1);
        yield return new AttemptFailed(1, "warm-up");
        yield return new TrialFailed("warm-up");
        yield return new TrialDiverged(1, "warm-up");
    }

    private static SavedFile? Saved(string? name) => name is null ? null : new SavedFile(name, new string('0', 64));

    private static void RoundTrip(ActorSystem system, object message)
    {
        var serializer = system.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        system.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
    }
}
