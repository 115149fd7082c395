using Orchestrator.Domain.Specs;
using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Reports;

/// <summary>The statistical comparisons of a report. Each uses complete blocks only, names those left out, and
/// says why a test did not run rather than leaving it out.</summary>
public static class Comparisons
{
    /// <summary>The metrics compared, by the name reports print.</summary>
    public static readonly IReadOnlyList<(string Name, Func<ResultRow, double> Value)> Metrics =
    [
        ("accuracy", r => r.Accuracy.Mean),
        ("macro-F1", r => r.MacroF1.Mean),
    ];

    /// <summary>Dynamic - traditional (the chosen rows' means over seeds) across backbones: paired t and Wilcoxon.</summary>
    public static IReadOnlyList<PairedComparison> Paired(IReadOnlyList<ResultRow> rows, IReadOnlyList<string> backbones, IReadOnlyList<Strategy> strategies)
    {
        const Strategy first = Strategy.Dynamic, second = Strategy.FixedTopN;
        var list = new List<PairedComparison>();
        foreach (var (metric, value) in Metrics)
        {
            if (!strategies.Contains(first) || !strategies.Contains(second))
            {
                var why = $"the sweep does not run both {first.ToSpecString()} and {second.ToSpecString()} (it runs {string.Join(", ", strategies.Select(s => s.ToSpecString()))})";
                list.Add(new PairedComparison(metric, first, second, [], [], Outcome<PairedTTestResult>.Skipped(why), Outcome<WilcoxonResult>.Skipped(why)));
                continue;
            }
            var blocks = new List<PairedBlock>();
            var leftOut = new List<string>();
            foreach (var backbone in backbones)
            {
                var a = Chosen(rows, backbone, first);
                var b = Chosen(rows, backbone, second);
                if (a is null || b is null)
                {
                    leftOut.Add($"{backbone} (no completed {(a is null ? first : second).ToSpecString()} trial)");
                    continue;
                }
                blocks.Add(new PairedBlock(backbone, value(a), value(b), a.TrialIds.ToArray(), b.TrialIds.ToArray()));
            }
            var x = blocks.Select(p => p.First).ToArray();
            var y = blocks.Select(p => p.Second).ToArray();
            var tTest = blocks.Count < 2
                ? Outcome<PairedTTestResult>.Skipped($"a paired t-test needs at least 2 backbones with both strategies complete; there are {blocks.Count}")
                : Try(() => PairedTTest.Test(x, y));
            var wilcoxon = blocks.Count < 1
                ? Outcome<WilcoxonResult>.Skipped("no backbone has both strategies complete")
                : Try(() => WilcoxonSignedRank.Test(x, y));
            list.Add(new PairedComparison(metric, first, second, blocks, leftOut, tTest, wilcoxon));
        }
        return list;
    }

    /// <summary>Every strategy variant (treatment) over the backbones (blocks) that completed all of them.</summary>
    public static IReadOnlyList<FriedmanComparison> Friedman(IReadOnlyList<ResultRow> rows, IReadOnlyList<string> backbones, IReadOnlyList<string> variants, double alpha)
    {
        var list = new List<FriedmanComparison>();
        foreach (var (metric, value) in Metrics)
        {
            var blocks = new List<string>();
            var leftOut = new List<string>();
            var data = new List<IReadOnlyList<double>>();
            foreach (var backbone in backbones)
            {
                var cells = variants.Select(v => rows.FirstOrDefault(r => r.Backbone == backbone && r.Variant == v)).ToArray();
                var missing = variants.Where((_, i) => cells[i] is null).ToArray();
                if (missing.Length > 0)
                {
                    leftOut.Add($"{backbone} (no completed {string.Join(", ", missing)})");
                    continue;
                }
                blocks.Add(backbone);
                data.Add(cells.Select(c => value(c!)).ToArray());
            }
            var test = variants.Count < 3
                ? Outcome<FriedmanResult>.Skipped($"the Friedman test needs at least 3 strategy variants; this sweep has {variants.Count} ({string.Join(", ", variants)}), compared by the paired tests")
                : blocks.Count < 2
                    ? Outcome<FriedmanResult>.Skipped($"the Friedman test needs at least 2 backbones with every variant complete; there are {blocks.Count}")
                    : Try(() => FriedmanTest.Test(data, alpha));
            list.Add(new FriedmanComparison(metric, variants, blocks, leftOut, test));
        }
        return list;
    }

    /// <summary>
    /// The k strategies over the backbones where each has a chosen row (Demsar 2006): Friedman with Iman-Davenport
    /// and the Nemenyi critical difference (k &gt;= 3), Wilcoxon signed-rank of every other strategy against
    /// <paramref name="reference"/> with Holm's correction over those pairs, and each strategy's mean cost.
    /// </summary>
    public static IReadOnlyList<StrategyComparison> Strategies(IReadOnlyList<ResultRow> rows, IReadOnlyList<string> backbones,
        IReadOnlyList<Strategy> strategies, Strategy reference, double alpha)
    {
        var list = new List<StrategyComparison>();
        if (strategies.Count < 3) return list;
        foreach (var (metric, value) in Metrics)
        {
            var blocks = new List<string>();
            var leftOut = new List<string>();
            var cells = new List<ResultRow[]>();
            foreach (var backbone in backbones)
            {
                var row = strategies.Select(s => Chosen(rows, backbone, s)).ToArray();
                var missing = strategies.Where((_, i) => row[i] is null).Select(s => s.ToSpecString()).ToArray();
                if (missing.Length > 0)
                {
                    leftOut.Add($"{backbone} (no completed {string.Join(", ", missing)})");
                    continue;
                }
                blocks.Add(backbone);
                cells.Add(row!);
            }
            double[] Column(int s, Func<ResultRow, double> f) => cells.Select(c => f(c[s])).ToArray();
            var friedman = blocks.Count < 2
                ? Outcome<FriedmanResult>.Skipped($"the Friedman test needs at least 2 backbones with every strategy complete; there are {blocks.Count}")
                : Try(() => FriedmanTest.Test(cells.Select(c => (IReadOnlyList<double>)c.Select(value).ToArray()).ToArray(), alpha));

            var r = strategies.ToList().IndexOf(reference);
            var pairs = new List<ReferencePair>();
            if (r >= 0)
            {
                var tests = strategies.Select((s, i) => (Strategy: s, Test: i == r ? null
                    : blocks.Count < 1
                        ? Outcome<WilcoxonResult>.Skipped("no backbone has every strategy complete")
                        : Try(() => WilcoxonSignedRank.Test(Column(i, value), Column(r, value))))).Where(t => t.Test is not null).ToArray();
                var ran = tests.Where(t => t.Test!.Result is not null).ToArray();
                var holm = HolmCorrection.Adjust(ran.Select(t => t.Test!.Result!.PValue).ToArray());
                pairs.AddRange(tests.Select(t => new ReferencePair(t.Strategy, t.Test!,
                    Array.IndexOf(ran, t) is var k and >= 0 ? holm[k] : null)));
            }
            var costs = blocks.Count == 0 ? [] : strategies.Select((s, i) => new StrategyCost(s,
                Column(i, c => c.Accuracy.Mean).Average(), Column(i, c => c.MacroF1.Mean).Average(), Column(i, c => c.EpochsRun.Mean).Average(),
                Column(i, c => c.WallSeconds?.Mean ?? 0).Average(), Column(i, c => c.SecondsToBest?.Mean ?? 0).Average())).ToArray();
            list.Add(new StrategyComparison(metric, strategies, reference, blocks, leftOut, friedman, pairs, costs));
        }
        return list;
    }

    /// <summary>Per backbone and seed, the chosen dynamic and traditional models on the same test images.</summary>
    public static IReadOnlyList<McNemarComparison> McNemar(IReadOnlyList<ResultRow> rows, IReadOnlyList<string> backbones, IReadOnlyList<Strategy> strategies)
    {
        const Strategy first = Strategy.Dynamic, second = Strategy.FixedTopN;
        var list = new List<McNemarComparison>();
        if (!strategies.Contains(first) || !strategies.Contains(second)) return list;
        foreach (var backbone in backbones)
        {
            var a = Chosen(rows, backbone, first);
            var b = Chosen(rows, backbone, second);
            if (a is null || b is null)
            {
                list.Add(new McNemarComparison(backbone, 0, a?.Representative.TrialId ?? "-", b?.Representative.TrialId ?? "-",
                    Outcome<McNemarResult>.Skipped($"no completed {(a is null ? first : second).ToSpecString()} trial")));
                continue;
            }
            foreach (var x in a.Trials)
            {
                var y = b.Trials.FirstOrDefault(t => t.Seed == x.Seed);
                if (y is null)
                {
                    list.Add(new McNemarComparison(backbone, x.Seed, x.TrialId, "-", Outcome<McNemarResult>.Skipped($"no completed {second.ToSpecString()} trial with seed {x.Seed}")));
                    continue;
                }
                list.Add(new McNemarComparison(backbone, x.Seed, x.TrialId, y.TrialId, SameImages(x, y) is { } why
                    ? Outcome<McNemarResult>.Skipped(why)
                    : Try(() => McNemarTest.FromPredictions(x.TestLabels!, x.TestPredictions, y.TestPredictions))));
            }
        }
        return list;
    }

    public static ResultRow? Chosen(IReadOnlyList<ResultRow> rows, string backbone, Strategy strategy) =>
        rows.FirstOrDefault(r => r.Backbone == backbone && r.Strategy == strategy && r.Role == RowRole.Chosen);

    private static string? SameImages(TrialOutcome x, TrialOutcome y)
    {
        if (x.TestLabels is null || y.TestLabels is null)
            return "a journal predates per-image test labels";
        if (!x.TestLabels.AsSpan().SequenceEqual(y.TestLabels))
            return "the two trials were not tested on the same images (their test labels differ)";
        return null;
    }

    private static Outcome<T> Try<T>(Func<T> test) where T : class
    {
        try
        {
            return Outcome<T>.Ran(test());
        }
        catch (ArgumentException ex)
        {
            return Outcome<T>.Skipped(ex.Message);
        }
    }
}
