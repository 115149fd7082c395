using System.Globalization;
using Orchestrator.Domain.Search;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Domain.Specs;

/// <summary>The search block and the ranges of sampled hyperparameters (docs/sweeps.md, "Search spaces").</summary>
public static partial class SweepSpecParser
{
    private static readonly string[] SearchKeys = ["kind", "trials", "seed"];
    private const string ChoiceKind = "choice";
    private static readonly string[] RangeKinds = ["uniform", "logUniform", "intUniform", ChoiceKind];

    /// <summary>The ranges a real-valued hyperparameter takes besides `choice`.</summary>
    private static readonly RangeForms<double> RealRanges = new("a real number", ["uniform", "logUniform"], (kind, node, path) =>
    {
        var (low, high) = Bounds(node, path, ParseDouble);
        if (kind == "uniform") return new UniformRange(low, high);
        return low > 0
            ? new LogUniformRange(low, high)
            : throw Fail(path, $"[{Format(low)}, {Format(high)}] is invalid (a log range needs low > 0)");
    });

    /// <summary>The range an integer hyperparameter takes besides `choice`: every integer from low to high.</summary>
    private static readonly RangeForms<int> IntegerRanges = new("an integer", ["intUniform"], (_, node, path) =>
    {
        var (low, high) = Bounds(node, path, ParseInt);
        return new IntUniformRange(low, high);
    });

    /// <summary>The kinds of range, besides `choice`, a hyperparameter of type <typeparamref name="T"/> can take, and
    /// how one is read from its `[low, high]`.</summary>
    private sealed record RangeForms<T>(string What, string[] Kinds, Func<string, YamlNode, string, SearchRange<T>> Read);

    /// <summary>For a hyperparameter that only `choice` can sample.</summary>
    private static RangeForms<T> ChoiceOnly<T>(string what) =>
        new(what, [], (kind, _, path) => throw Fail(path, $"{kind} is not a range of {what}"));

    /// <summary>`{ uniform: [lo, hi] }`, `{ logUniform: [lo, hi] }`, `{ intUniform: [lo, hi] }` or `{ choice: [a, b] }`;
    /// null when the mapping is one of backbones instead. Both ends (every choice) must be valid values of the axis.</summary>
    private static SearchRange<T>? ParseRange<T>(YamlMappingNode map, string key, Func<YamlNode, string, T> parse,
        Func<T, string?> check, RangeForms<T> forms) where T : notnull
    {
        var kinds = map.Children.Keys.Select(k => k is YamlScalarNode s ? s.Value ?? "" : "").ToList();
        if (!kinds.Any(RangeKinds.Contains)) return null;
        var path = $"hyperparameters.{key}";
        var section = new Section(map, path + ".", RangeKinds);
        if (kinds.Count != 1) throw Fail(path, $"a range has one kind, not {kinds.Count} ({string.Join(", ", kinds)})");
        var kind = kinds[0];
        var kindPath = $"{path}.{kind}";
        SearchRange<T> range;
        if (kind == ChoiceKind)
            range = new ChoiceRange<T>(section.List(ChoiceKind, parse, null, check) ?? throw Fail(kindPath, "must not be empty"));
        else if (forms.Kinds.Contains(kind))
            range = forms.Read(kind, section.Required(kind), kindPath);
        else
            throw Fail(kindPath, $"{key} is {forms.What}: it takes {string.Join(" or ", forms.Kinds.Append(ChoiceKind))}, not {kind}");
        foreach (var value in range.Extremes)
            if (check(value) is { } message)
                throw Fail(kindPath, message);
        return range;
    }

    /// <summary>`[low, high]`, low &lt;= high.</summary>
    private static (T Low, T High) Bounds<T>(YamlNode node, string path, Func<YamlNode, string, T> parse) where T : IComparable<T>
    {
        if (node is not YamlSequenceNode { Children.Count: 2 } pair) throw Fail(path, "expected [low, high]");
        var (low, high) = (parse(pair.Children[0], path), parse(pair.Children[1], path));
        return low.CompareTo(high) <= 0 ? (low, high) : throw Fail(path, $"[{Format(low)}, {Format(high)}] is invalid (low > high)");
    }

    /// <summary>`search: { kind: random | sobol, trials: N, seed: S }` over the hyperparameters given as ranges; a
    /// search needs a range, and a range needs a search.</summary>
    private static SearchSpec? ParseSearch(YamlNode? node, string sweepName, IReadOnlyList<SearchAxis> sampled)
    {
        if (node is null)
            return sampled.Count == 0
                ? null
                : throw Fail($"hyperparameters.{sampled[0].Name}",
                    "a range needs a search block (search: { kind: random | sobol, trials: N }); a grid axis is a list");
        var search = new Section(AsMapping(node, "search"), "search.", SearchKeys);
        var kind = Choice<SearchKind>("search kind")(search.Required("kind"), "search.kind");
        var trials = search.Int("trials", null);
        if (trials is < 1 or > SearchSpec.MaxTrials)
            throw Fail("search.trials", $"{trials} is invalid (must be from 1 to {SearchSpec.MaxTrials})");
        var seed = search.Optional("seed") is { } s ? ParseSeed(s) : SearchSpec.DefaultSeed(sweepName);
        if (sampled.Count == 0)
            throw Fail("search", "no hyperparameter has a range to sample (e.g. learningRate: { logUniform: [1e-5, 1e-2] }); " +
                "lists alone make a grid: drop search");
        return new SearchSpec(kind, trials, seed, sampled);
    }

    private static ulong ParseSeed(YamlNode node)
    {
        var text = ScalarText(node, "search.seed");
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : throw Fail("search.seed", $"'{text}' is not a whole number from 0 to {ulong.MaxValue}");
    }
}
