using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Domain;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Sweeps;

/// <summary>A spec that is valid and whose data is ready, with its grid expanded.</summary>
public sealed record PlannedSweep(SweepId Id, SweepSpec Spec, string Yaml, IReadOnlyList<PlannedTrial> Trials);

/// <summary>From spec text to registered trials: parse, check the data, expand, register (idempotently).</summary>
public static class SweepPlanner
{
    /// <summary>Parses and validates; checks the data is there or can be synthesized (its content is checked by whoever
    /// can open it: the engine side). Touches nothing.</summary>
    public static PlannedSweep Plan(string yaml)
    {
        var spec = SweepSpecParser.Parse(yaml);
        var manifestPath = Path.Combine(spec.Data.Path, DatasetManifest.FileName);
        if (!File.Exists(manifestPath) && spec.Data.Synthesize is null)
            throw new InvalidInputException(
                $"spec: data.path: no dataset at '{spec.Data.Path}' ({DatasetManifest.FileName} not found); " +
                $"create one with `orchestrator data synth --out {spec.Data.Path}` or add data.synthesize");
        foreach (var (backbone, path) in spec.Weights ?? new Dictionary<string, string>())
            if (!File.Exists(path))
                throw new InvalidInputException(
                    $"spec: weights.{backbone}: no file at '{path}' (make one with `orchestrator model import --arch {backbone} --state-dict FILE --out {path}`)");
        return new PlannedSweep(Ids.SweepId(spec.Name), spec, yaml, SweepGrid.Expand(spec));
    }

    public static async Task<int> RegisterAsync(ISweepCatalogue store, PlannedSweep sweep, DateTimeOffset now, CancellationToken ct)
    {
        var record = new SweepRecord(sweep.Id, sweep.Spec.Name, sweep.Yaml, now);
        var trials = sweep.Trials
            .Select(t => new TrialRecord(t.Id, sweep.Id, t.CanonicalJson, TrialStatus.Pending, null, 0, now))
            .ToList();
        return await store.RegisterSweepAsync(record, trials, ct);
    }
}
