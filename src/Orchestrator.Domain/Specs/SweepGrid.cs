namespace Orchestrator.Domain.Specs;

/// <summary>Expands a sweep spec into its trials.</summary>
public static class SweepGrid
{
    /// <summary>
    /// Dynamic: backbones x learningRate x patience x step x decay x epochs x seeds (FixedTopN = 0).
    /// Fixed-top-n: backbones x learningRate x patience x fixedTopN x epochs x seeds (Step = 0, Decay = 0).
    /// Two-stage: x stageTwoRate; fixed-step: x step x unfreezeEvery; gradual: x discriminative; full, linear-probe and
    /// chain-thaw: patience and epochs alone; custom: one trial per schedule the spec names, in spec order. The axes a
    /// strategy does not use are 0 in its trials.
    /// Both times the normalization axis; a backbone's own lists (<see cref="HyperparameterGrid.For"/>) where the spec
    /// gives it some. Order: backbone, then strategy (both in spec order), then the hyperparameters
    /// as listed, normalization after epochs, seed innermost.
    /// </summary>
    /// <remarks>With a search (<see cref="SweepSpec.Search"/>), each backbone and strategy takes the same sampled
    /// configurations, in draw order: each sets the sampled axes to one value, and the lists of the other axes are
    /// crossed as above. A configuration that repeats a trial of its cell (integer or choice axes with few values, or
    /// an axis the strategy does not use) adds nothing.</remarks>
    public static IReadOnlyList<PlannedTrial> Expand(SweepSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var trials = new List<PlannedTrial>();
        var points = spec.Search?.UnitPoints();
        foreach (var backbone in spec.Backbones)
        {
            var h = spec.Hyperparameters.For(backbone);
            foreach (var strategy in spec.Strategies)
            {
                if (spec.Search is not { } search || points is null)
                {
                    trials.AddRange(Cell(spec, backbone, strategy, h));
                    continue;
                }
                var ids = new HashSet<Trials.TrialId>();
                foreach (var point in points)
                    trials.AddRange(Cell(spec, backbone, strategy, search.Place(h, point)).Where(t => ids.Add(t.Id)));
            }
        }
        return trials;
    }

    /// <summary>The trials of one backbone and strategy over the axes of <paramref name="h"/>.</summary>
    private static IEnumerable<PlannedTrial> Cell(SweepSpec spec, string backbone, Strategy strategy, HyperparameterGrid h)
    {
        foreach (var lr in h.LearningRate)
        foreach (var patience in h.Patience)
        {
            var none = new Shape();
            var shapes = strategy switch
            {
                Strategy.Dynamic => from step in h.Step from decay in h.Decay select none with { Step = step, Decay = decay },
                Strategy.FixedTopN => h.FixedTopN.Select(n => none with { TopN = n }),
                Strategy.TwoStage => h.StageTwoRateAxis.Select(r => none with { StageTwoRate = r }),
                Strategy.FixedStep => from step in h.Step from every in h.UnfreezeEveryAxis select none with { Step = step, UnfreezeEvery = every },
                Strategy.Gradual => h.DiscriminativeAxis.Select(d => none with { Discriminative = d }),
                Strategy.Custom => (spec.Schedules ?? []).Select(s => none with { Schedule = s }),
                _ => [none],
            };
            foreach (var shape in shapes)
            foreach (var epochs in h.Epochs)
            foreach (var normalization in h.NormalizationAxis)
            foreach (var seed in spec.Seeds)
            {
                var trial = new TrialSpec(spec.Name, backbone, strategy, lr, patience, shape.Step, shape.Decay, epochs,
                    shape.TopN, h.MinDelta, spec.StopPolicy, spec.MaxRounds, spec.Optimizer, spec.BatchSize,
                    spec.InputSizes[backbone], seed, spec.Data, spec.ClassBalance,
                    spec.Weights?.GetValueOrDefault(backbone), normalization, spec.Augmentation, spec.MinorityShare,
                    shape.UnfreezeEvery, shape.StageTwoRate, shape.Discriminative, shape.Schedule);
                var json = TrialSpecJson.Canonical(trial);
                yield return new PlannedTrial(Ids.TrialIdFromCanonical(json), trial, json);
            }
        }
    }

    /// <summary>A strategy's own hyperparameters in one trial; 0 where it has none.</summary>
    private sealed record Shape(int Step = 0, double Decay = 0, int TopN = 0, int UnfreezeEvery = 0, double StageTwoRate = 0,
        double Discriminative = 0, Strategies.UserSchedule? Schedule = null);
}
