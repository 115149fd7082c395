using System.Globalization;
using System.Text.RegularExpressions;
using Orchestrator.Domain.Search;
using Orchestrator.Domain.Strategies;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestrator.Domain.Specs;

/// <summary>Reads and validates a sweep spec (YAML, camelCase keys). Every error is a <see cref="SpecException"/>.</summary>
public static partial class SweepSpecParser
{
    public const int DefaultBatchSize = 32;
    public const int DefaultMaxRounds = 10;
    public const int MinInputSize = 16;

    private static readonly string[] TopKeys =
        ["name", "data", "backbones", "strategies", "seeds", "inputSize", "weights", "batchSize", "optimizer", "stop", "maxRounds", "classBalance", "augmentation", "minorityShare", "hyperparameters", "schedules", "search", "pruning", "replicates"];
    private static readonly string[] ScheduleKeys = ["phases", "batchNorm"];
    private static readonly string[] PhaseKeys = ["trains", "until", "rate", "discriminative", "restoreBest", "resetOptimizer"];
    private static readonly string[] DataKeys = ["path", "synthesize"];
    private static readonly string[] SynthesizeKeys = ["images", "size", "seed"];
    private static readonly string[] HyperparameterKeys =
        ["learningRate", "patience", "step", "decay", "epochs", "fixedTopN", "minDelta", "normalization", "unfreezeEvery",
            "stageTwoRate", "discriminative"];

    /// <summary>The strategies of a spec that names none: the two the paper compares.</summary>
    private static readonly Strategy[] DefaultStrategies = [Strategy.Dynamic, Strategy.FixedTopN];

    [GeneratedRegex("^[a-z0-9._-]+$")]
    private static partial Regex NamePattern();

    public static SweepSpec Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var top = new Section(LoadRoot(yaml), "", TopKeys);

        var name = top.RequiredString("name");
        if (!NamePattern().IsMatch(name) || name is "." or "..")
            throw Fail("name", $"'{name}' is invalid (use lowercase letters, digits, '.', '_' and '-')");

        var data = ParseData(top.Required("data"));

        var backbones = top.List("backbones", ParseString, null,
            b => Backbones.Known.Contains(b) ? null : $"unknown backbone '{b}' (supported: {string.Join(", ", Backbones.Known)})")
            ?? throw Fail("backbones", "is required");
        var defined = ParseSchedules(top.Optional("schedules"), backbones);
        var (strategies, schedules) = ParseStrategies(top, defined);
        var seeds = top.List("seeds", ParseInt, [1], _ => null)!;

        var inputSizes = ParseInputSizes(top.Optional("inputSize"), backbones);
        var weights = ParseWeights(top.Optional("weights"), backbones);
        var batchSize = top.Int("batchSize", DefaultBatchSize);
        if (batchSize < 1) throw Fail("batchSize", $"{batchSize} is invalid (must be >= 1)");
        var optimizer = top.Choice("optimizer", "optimizer", Optimizer.Adam);
        var stop = top.Choice("stop", "stop policy", StopPolicy.PlateauAfterFullUnfreeze);
        var maxRounds = top.Int("maxRounds", DefaultMaxRounds);
        if (maxRounds < 1) throw Fail("maxRounds", $"{maxRounds} is invalid (must be >= 1)");

        var classBalance = top.Choice("classBalance", "class balance", ClassBalance.Sampler);

        var augmentation = top.String("augmentation") ?? Augmentations.None;
        if (!Augmentations.All.Contains(augmentation))
            throw Fail("augmentation", $"unknown augmentation '{augmentation}' (supported: {string.Join(", ", Augmentations.All)})");
        var minorityShare = top.Optional("minorityShare") is { } ms ? ParseDouble(ms, "minorityShare") : 0.0;
        if (!(minorityShare >= 0 && minorityShare < 1))
            throw Fail("minorityShare", $"{Format(minorityShare)} is invalid (a class share in [0, 1); 0 means 1/C)");

        var (hyperparameters, sampled) = ParseHyperparameters(top.Optional("hyperparameters"));
        var search = ParseSearch(top.Optional("search"), name, sampled);
        var pruning = ParsePruning(top.Optional("pruning"), backbones, hyperparameters, sampled);
        var replicates = ParseReplicates(top, seeds);

        return new SweepSpec(name, data, backbones, strategies, seeds, inputSizes, batchSize, optimizer,
            hyperparameters, stop, maxRounds, classBalance, weights, augmentation, minorityShare, schedules.Count > 0 ? schedules : null,
            search, pruning, replicates);
    }

    /// <summary>`strategies:` names built-in strategies and schedules defined under `schedules:`; each schedule
    /// is a custom strategy of its own, in the order named.</summary>
    private static (List<Strategy> Strategies, List<UserSchedule> Schedules) ParseStrategies(Section top, IReadOnlyDictionary<string, UserSchedule> defined)
    {
        var names = top.List("strategies", ParseString, null, _ => null);
        if (names is null) return ([.. DefaultStrategies], []);
        var strategies = new List<Strategy>();
        var schedules = new List<UserSchedule>();
        foreach (var name in names)
        {
            if (name != Strategy.Custom.ToSpecString() && SpecSpelling<Strategy>.TryParse(name, out var builtIn)) strategies.Add(builtIn);
            else if (defined.TryGetValue(name, out var schedule))
            {
                if (!strategies.Contains(Strategy.Custom)) strategies.Add(Strategy.Custom);
                schedules.Add(schedule);
            }
            else
            {
                var builtIns = SpecSpelling<Strategy>.All.Where(n => n != Strategy.Custom.ToSpecString());
                var own = defined.Count > 0 ? $"; schedules: {string.Join(", ", defined.Keys)}" : "";
                throw Fail("strategies", $"unknown strategy '{name}' (supported: {string.Join(", ", builtIns)}{own})");
            }
        }
        return (strategies, schedules);
    }

    /// <summary>`schedules:` maps a name to a phase schedule; every group it names must exist in every backbone.</summary>
    private static Dictionary<string, UserSchedule> ParseSchedules(YamlNode? node, IReadOnlyList<string> backbones)
    {
        var defined = new Dictionary<string, UserSchedule>(StringComparer.Ordinal);
        if (node is null) return defined;
        foreach (var (keyNode, value) in AsMapping(node, "schedules").Children)
        {
            var name = ScalarText(keyNode, "schedules");
            var path = $"schedules.{name}";
            if (!NamePattern().IsMatch(name) || SpecSpelling<Strategy>.TryParse(name, out _))
                throw Fail(path, $"'{name}' is not a schedule name (lowercase letters, digits, '.', '_' and '-'; not a built-in strategy)");
            if (defined.ContainsKey(name)) throw Fail(path, "duplicate schedule");
            var section = new Section(AsMapping(value, path), path + ".", ScheduleKeys);
            var batchNorm = section.Choice("batchNorm", "BatchNorm policy", BatchNormPolicy.Frozen);
            if (section.Optional("phases") is not YamlSequenceNode { Children.Count: > 0 } phaseNodes)
                throw Fail(path + ".phases", "is required: a list of phases, each with `trains` and `until`");
            var phases = phaseNodes.Children.Select((p, i) => ParsePhase(p, $"{path}.phases[{i + 1}]", backbones)).ToList();
            for (var i = 0; i < phases.Count - 1; i++)
                if (phases[i].End.Kind == PhaseEndKind.Never)
                    throw Fail($"{path}.phases[{i + 1}].until", "only the last phase may run until `never`: no phase would follow it");
            defined[name] = new UserSchedule(name, phases, batchNorm);
        }
        return defined;
    }

    private static PhaseTemplate ParsePhase(YamlNode node, string path, IReadOnlyList<string> backbones)
    {
        var phase = new Section(AsMapping(node, path), path + ".", PhaseKeys);
        var trains = ParseGroupChoice(phase.Optional("trains") ?? throw Fail(path + ".trains",
            "is required: none, all, deepest N, group I or a list of group indices"), path + ".trains");
        foreach (var backbone in backbones)
            if (trains.ProblemFor(Backbones.GroupCount(backbone)) is { } problem)
                throw Fail(path + ".trains", $"{problem} of {backbone}");
        var until = phase.String("until") ?? throw Fail(path + ".until", "is required: the phase has no end (plateau, plateau N, epochs N or never)");
        var end = ParsePhaseEnd(until, path + ".until");
        var rate = phase.Optional("rate") is { } r ? ParseDouble(r, path + ".rate") : 1;
        if (!(rate > 0)) throw Fail(path + ".rate", $"{Format(rate)} is invalid (a factor of the rate, > 0)");
        var discriminative = phase.Optional("discriminative") is { } d ? ParseDouble(d, path + ".discriminative") : 1;
        if (!(discriminative >= 1)) throw Fail(path + ".discriminative", $"{Format(discriminative)} is invalid (must be >= 1)");
        return new PhaseTemplate(trains, end, rate, discriminative,
            phase.Optional("restoreBest") is { } rb && ParseBool(rb, path + ".restoreBest"),
            phase.Optional("resetOptimizer") is not { } ro || ParseBool(ro, path + ".resetOptimizer"));
    }

    private static GroupChoice ParseGroupChoice(YamlNode node, string path)
    {
        if (node is YamlSequenceNode seq)
        {
            var indices = seq.Children.Select(c => ParseInt(c, path)).ToList();
            if (indices.Any(i => i < 0)) throw Fail(path, "a group index must be >= 0 (0 = shallowest)");
            if (indices.Distinct().Count() != indices.Count) throw Fail(path, "a group is listed twice");
            return new GroupChoice(GroupChoiceKind.Listed, Groups: GroupSet.Of(indices));
        }
        var words = ScalarText(node, path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int Count(string what) => words.Length == 2 && int.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : throw Fail(path, $"'{string.Join(' ', words)}' is invalid ({what} N, N a whole number >= 0)");
        return words switch
        {
            ["none"] => new GroupChoice(GroupChoiceKind.None),
            ["all"] => new GroupChoice(GroupChoiceKind.All),
            ["deepest", ..] => new GroupChoice(GroupChoiceKind.Deepest, Count("deepest")),
            ["group", ..] => new GroupChoice(GroupChoiceKind.Listed, Groups: GroupSet.Of([Count("group")])),
            _ => throw Fail(path, $"'{string.Join(' ', words)}' is invalid (none, all, deepest N, group I or a list of group indices)"),
        };
    }

    private static PhaseEnd ParsePhaseEnd(string text, string path)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int Count() => int.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n : throw Fail(path, $"'{text}' is invalid (the count must be a whole number >= 1)");
        return words switch
        {
            ["plateau"] => PhaseEnd.Plateau(0),
            ["plateau", _] => PhaseEnd.Plateau(Count()),
            ["epochs", _] => PhaseEnd.AfterEpochs(Count()),
            ["never"] => PhaseEnd.Never,
            _ => throw Fail(path, $"'{text}' is not an end (plateau, plateau N, epochs N or never)"),
        };
    }

    private static bool ParseBool(YamlNode node, string path) => ScalarText(node, path) switch
    {
        "true" => true,
        "false" => false,
        var other => throw Fail(path, $"'{other}' is not true or false"),
    };

    /// <summary>`inputSize: 128` for every backbone, or a mapping of backbone (or `default`) to size; a backbone
    /// given neither takes the size its weights were trained at (<see cref="Backbones.DefaultInputSize"/>).</summary>
    private static Dictionary<string, int> ParseInputSizes(YamlNode? node, IReadOnlyList<string> backbones)
    {
        int? all = null;
        var perBackbone = new Dictionary<string, int>(StringComparer.Ordinal);
        if (node is YamlMappingNode)
        {
            var section = new Section(AsMapping(node, "inputSize"), "inputSize.", [.. Backbones.Known, "default"]);
            all = section.Optional("default") is { } d ? ParseInt(d, "inputSize.default") : null;
            foreach (var backbone in Backbones.Known)
                if (section.Optional(backbone) is { } size)
                    perBackbone[backbone] = ParseInt(size, "inputSize." + backbone);
        }
        else if (node is not null)
        {
            all = ParseInt(node, "inputSize");
        }

        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var backbone in backbones)
        {
            var explicitSize = perBackbone.ContainsKey(backbone);
            var size = explicitSize ? perBackbone[backbone] : all ?? Backbones.DefaultInputSize(backbone);
            var minimum = Backbones.MinInputSize(backbone);
            if (size < minimum)
                throw Fail(explicitSize ? "inputSize." + backbone : node is YamlMappingNode ? "inputSize.default" : "inputSize",
                    $"{size} is invalid for {backbone} (must be >= {minimum})");
            sizes[backbone] = size;
        }
        return sizes;
    }

    /// <summary>`weights:` maps a backbone to the pretrained weights file its trials start from (made by
    /// `orchestrator model import`); only backbones of the sweep may be named.</summary>
    private static Dictionary<string, string>? ParseWeights(YamlNode? node, IReadOnlyList<string> backbones)
    {
        if (node is null) return null;
        var section = new Section(AsMapping(node, "weights"), "weights.", [.. backbones]);
        var weights = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var backbone in backbones)
        {
            if (section.String(backbone) is not { } path) continue;
            if (string.IsNullOrWhiteSpace(path)) throw Fail("weights." + backbone, "must not be empty");
            weights[backbone] = path;
        }
        return weights;
    }

    private static YamlMappingNode LoadRoot(string yaml)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yaml));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException ex)
        {
            throw new SpecException($"spec: line {ex.Start.Line}: {YamlMessage(ex)}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 16.3 throws this instead of a YamlException for, e.g., a flow sequence left open at the end.
            throw new SpecException($"spec: line {scanner.CurrentPosition.Line}: malformed YAML (an unclosed '[', '{{' or quote?)");
        }
        if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode))
            throw new SpecException("spec: the document is empty");
        if (stream.Documents.Count > 1)
            throw new SpecException($"spec: line {stream.Documents[1].RootNode.Start.Line}: only one YAML document is allowed");
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new SpecException($"spec: line {stream.Documents[0].RootNode.Start.Line}: the top level must be a mapping of keys to values");
    }

    // YamlDotNet prefixes its messages with "(Line: .., Col: .., Idx: ..) - (Line: ..): "; the line is reported separately.
    private static string YamlMessage(YamlException ex)
    {
        var message = ex.InnerException is YamlException inner ? inner.Message : ex.Message;
        var match = Regex.Match(message, @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ");
        message = match.Success ? message[match.Length..] : message;
        return message.ReplaceLineEndings(" ").Trim();
    }

    private static DataSpec ParseData(YamlNode node)
    {
        var data = new Section(AsMapping(node, "data"), "data.", DataKeys);
        var path = data.RequiredString("path");
        if (string.IsNullOrWhiteSpace(path)) throw Fail("data.path", "must not be empty");
        SynthesizeSpec? synthesize = null;
        if (data.Optional("synthesize") is { } synthNode)
        {
            var synth = new Section(AsMapping(synthNode, "data.synthesize"), "data.synthesize.", SynthesizeKeys);
            var images = synth.Int("images", null);
            if (images < 1) throw Fail("data.synthesize.images", $"{images} is invalid (must be >= 1)");
            var size = synth.Int("size", null);
            if (size < MinInputSize) throw Fail("data.synthesize.size", $"{size} is invalid (must be >= {MinInputSize})");
            synthesize = new SynthesizeSpec(images, size, synth.Int("seed", 1));
        }
        return new DataSpec(path, synthesize);
    }

    /// <summary>The grid of the hyperparameters, and the axes given as ranges (in the order of
    /// <see cref="HyperparameterKeys"/>, whatever the spec's order), which a search samples.</summary>
    private static (HyperparameterGrid Grid, List<SearchAxis> Sampled) ParseHyperparameters(YamlNode? node)
    {
        var h = new Section(node is null ? new YamlMappingNode() : AsMapping(node, "hyperparameters"), "hyperparameters.", HyperparameterKeys);
        var learningRate = Axis(h, "learningRate", ParseDouble, [0.001], v => v > 0 ? null : Invalid(v, "must be > 0"), RealRanges);
        var patience = Axis(h, "patience", ParseInt, [5], v => v >= 1 ? null : Invalid(v, "p must be >= 1"), IntegerRanges);
        var step = Axis(h, "step", ParseInt, [3], v => v >= 1 ? null : Invalid(v, "k must be >= 1"), IntegerRanges);
        var decay = Axis(h, "decay", ParseDouble, [0.1],
            v => v > 0 && v < 1 ? null : Invalid(v, "decay must be strictly between 0 and 1"), RealRanges);
        var epochs = Axis(h, "epochs", ParseInt, [100], v => v >= 1 ? null : Invalid(v, "n must be >= 1"), IntegerRanges);
        var fixedTopN = Axis(h, "fixedTopN", ParseInt, [2], v => v >= 0 ? null : Invalid(v, "must be >= 0"), IntegerRanges);
        var minDelta = h.Optional("minDelta") is { } md ? ParseDouble(md, "hyperparameters.minDelta") : 0.0;
        if (minDelta < 0) throw Fail("hyperparameters.minDelta", $"{Format(minDelta)} is invalid (must be >= 0)");
        var normalization = Axis(h, "normalization", Choice<Normalization>("normalization"), [Normalization.Backbone], _ => null,
            ChoiceOnly<Normalization>("a method"));
        var unfreezeEvery = Axis(h, "unfreezeEvery", ParseInt, [BuiltInSchedules.DefaultUnfreezeEvery],
            v => v >= 1 ? null : Invalid(v, "must be >= 1"), IntegerRanges);
        var stageTwoRate = Axis(h, "stageTwoRate", ParseDouble, [BuiltInSchedules.DefaultStageTwoRate],
            v => v > 0 ? null : Invalid(v, "must be > 0"), RealRanges);
        var discriminative = Axis(h, "discriminative", ParseDouble, [BuiltInSchedules.DefaultDiscriminative],
            v => v >= 1 ? null : Invalid(v, "must be >= 1"), RealRanges);
        var sampled = new[]
            {
                learningRate.Sampled((g, v) => g with { LearningRate = v }), patience.Sampled((g, v) => g with { Patience = v }),
                step.Sampled((g, v) => g with { Step = v }), decay.Sampled((g, v) => g with { Decay = v }),
                epochs.Sampled((g, v) => g with { Epochs = v }), fixedTopN.Sampled((g, v) => g with { FixedTopN = v }),
                normalization.Sampled((g, v) => g with { Normalization = v }),
                unfreezeEvery.Sampled((g, v) => g with { UnfreezeEvery = v }),
                stageTwoRate.Sampled((g, v) => g with { StageTwoRate = v }),
                discriminative.Sampled((g, v) => g with { Discriminative = v }),
            }
            .OfType<SearchAxis>().ToList();

        HyperparameterGrid GridFor(string? backbone) => new(learningRate.For(backbone), patience.For(backbone),
            step.For(backbone), decay.For(backbone), epochs.For(backbone), fixedTopN.For(backbone), minDelta,
            normalization.For(backbone), null, unfreezeEvery.For(backbone), stageTwoRate.For(backbone), discriminative.For(backbone));
        var all = GridFor(null);
        var named = new[]
            {
                learningRate.Named, patience.Named, step.Named, decay.Named, epochs.Named, fixedTopN.Named, normalization.Named,
                unfreezeEvery.Named, stageTwoRate.Named, discriminative.Named,
            }
            .SelectMany(n => n).Distinct().ToList();
        var grid = named.Count == 0 ? all : all with { ByBackbone = named.ToDictionary(b => b, b => GridFor(b), StringComparer.Ordinal) };
        return (grid, sampled);
    }

    /// <summary>One hyperparameter axis: a list for every backbone, and the lists given to particular backbones; or a
    /// range (<c>All</c> is then the default, never used: a search sets the axis in every trial).</summary>
    private sealed record AxisLists<T>(string Key, IReadOnlyList<T> All, IReadOnlyDictionary<string, IReadOnlyList<T>> PerBackbone,
        SearchRange<T>? Range = null)
    {
        public IEnumerable<string> Named => PerBackbone.Keys;

        public IReadOnlyList<T> For(string? backbone) =>
            backbone is not null && PerBackbone.TryGetValue(backbone, out var list) ? list : All;

        public SearchAxis? Sampled(Func<HyperparameterGrid, IReadOnlyList<T>, HyperparameterGrid> set) =>
            Range is null ? null : new SearchAxis<T>(Key, Range, set);
    }

    /// <summary>`key: [..]` for every backbone, or a mapping of backbone (or `default`) to such a list, so that one sweep
    /// can, say, give cheap backbones more epochs than costly ones; or a range for every backbone
    /// (<see cref="ParseRange"/>).</summary>
    private static AxisLists<T> Axis<T>(Section h, string key, Func<YamlNode, string, T> parse, IReadOnlyList<T> fallback,
        Func<T, string?> check, RangeForms<T> ranges) where T : notnull
    {
        var perBackbone = new Dictionary<string, IReadOnlyList<T>>(StringComparer.Ordinal);
        if (h.Optional(key) is not YamlMappingNode map) return new(key, h.List(key, parse, fallback, check)!, perBackbone);
        if (ParseRange(map, key, parse, check, ranges) is { } range) return new(key, fallback, perBackbone, range);
        var section = new Section(map, $"hyperparameters.{key}.", [.. Backbones.Known, "default"]);
        foreach (var backbone in Backbones.Known)
            if (section.List(backbone, parse, null, check) is { } list)
                perBackbone[backbone] = list;
        return new(key, section.List("default", parse, fallback, check)!, perBackbone);
    }

    private static string Invalid<T>(T value, string why) => $"{Format(value)} is invalid ({why})";

    private static SpecException Fail(string path, string message) => new($"spec: {path}: {message}");

    private static string Format<T>(T value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s => $"'{s}'",
        Strategy s => $"'{s.ToSpecString()}'",
        Normalization n => $"'{n.ToSpecString()}'",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static bool IsNull(YamlNode? node) =>
        node is null
        || node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static YamlMappingNode AsMapping(YamlNode node, string path) =>
        node as YamlMappingNode ?? throw Fail(path, "expected a mapping of keys to values");

    private static string ScalarText(YamlNode node, string path) =>
        node is YamlScalarNode scalar ? scalar.Value ?? "" : throw Fail(path, "expected a single value");

    private static string ParseString(YamlNode node, string path) => ScalarText(node, path);

    /// <summary>Parses one value of a spec choice; <paramref name="what"/> names the choice in the error.</summary>
    private static Func<YamlNode, string, T> Choice<T>(string what) where T : struct, Enum => (node, path) =>
    {
        var text = ScalarText(node, path);
        return SpecSpelling<T>.TryParse(text, out var value)
            ? value
            : throw Fail(path, $"unknown {what} '{text}' (supported: {string.Join(", ", SpecSpelling<T>.All)})");
    };

    private static int ParseInt(YamlNode node, string path)
    {
        var text = ScalarText(node, path);
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Fail(path, $"'{text}' is not an integer");
    }

    private static double ParseDouble(YamlNode node, string path)
    {
        var text = ScalarText(node, path);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v + 0.0 // folds -0 into 0 so both spell the same canonical spec
            : throw Fail(path, $"'{text}' is not a number");
    }

    /// <summary>One mapping of the spec, with the keys it allows.</summary>
    private sealed class Section
    {
        private readonly Dictionary<string, YamlNode> _values = new(StringComparer.Ordinal);
        private readonly string _prefix;

        public Section(YamlMappingNode map, string prefix, string[] allowed)
        {
            _prefix = prefix;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = keyNode is YamlScalarNode s ? s.Value ?? "" : keyNode.ToString();
                if (!allowed.Contains(key))
                    throw Fail(prefix + key, $"unknown key (allowed here: {string.Join(", ", allowed)})");
                if (!_values.TryAdd(key, value))
                    throw Fail(prefix + key, "duplicate key");
            }
        }

        public YamlNode? Optional(string key) => _values.TryGetValue(key, out var v) && !IsNull(v) ? v : null;

        public YamlNode Required(string key) => Optional(key) ?? throw Fail(_prefix + key, "is required");

        public string? String(string key) => Optional(key) is { } n ? ScalarText(n, _prefix + key) : null;

        public string RequiredString(string key) => ScalarText(Required(key), _prefix + key);

        public T Choice<T>(string key, string what, T fallback) where T : struct, Enum =>
            Optional(key) is { } n ? SweepSpecParser.Choice<T>(what)(n, _prefix + key) : fallback;

        public int Int(string key, int? fallback) => Optional(key) is { } n
            ? ParseInt(n, _prefix + key)
            : fallback ?? throw Fail(_prefix + key, "is required");

        /// <summary>A list, or a scalar meaning a one-element list; <paramref name="fallback"/> when absent.</summary>
        public IReadOnlyList<T>? List<T>(string key, Func<YamlNode, string, T> parse, IReadOnlyList<T>? fallback, Func<T, string?> check)
            where T : notnull
        {
            var path = _prefix + key;
            if (Optional(key) is not { } node) return fallback;
            IEnumerable<YamlNode> items = node is YamlSequenceNode seq ? seq.Children : [node];
            var result = new List<T>();
            foreach (var item in items)
            {
                var value = parse(item, path);
                if (check(value) is { } message)
                    throw Fail(path, message);
                if (result.Contains(value))
                    throw Fail(path, $"duplicate entry {Format(value)}");
                result.Add(value);
            }
            if (result.Count == 0) throw Fail(path, "must not be empty");
            return result;
        }
    }
}
