using System.Text;

namespace Orchestrator.Engine.Models.Onnx;

/// <summary>What the user asked of an import: input side, group ends (node names), normalization. Null: from the
/// model (its fixed input side, its metadata "mean"/"std") or the defaults (224, ImageNet's).</summary>
public sealed record ImportOptions(int? InputSize = null, IReadOnlyList<string>? GroupEnds = null, float[]? Mean = null, float[]? Std = null);

/// <summary>From an ONNX graph to an <see cref="EngineGraph"/>: checks the operators, finds the feature map (the last
/// spatial value before the graph pools, flattens or classifies), keeps the nodes it depends on, cuts them into stages
/// where one value is live, and groups the stages: at each stage that lowers the resolution, or after the nodes the
/// user names.</summary>
public static class GraphCompiler
{
    /// <summary>Run by the engine (native/src/arch_onnx_graph.cpp).</summary>
    public static readonly IReadOnlySet<string> BackboneOperators = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "BatchNormalization", "Relu", "Clip", "Sigmoid", "Mul", "Add", "Concat", "MaxPool", "AveragePool",
        "GlobalAveragePool", "Identity", "Dropout", "Pad",
    };

    /// <summary>Accepted after the feature map only: the classifier the import replaces with its own head.</summary>
    public static readonly IReadOnlySet<string> ClassifierOperators = new HashSet<string>(StringComparer.Ordinal)
    {
        "Flatten", "Reshape", "Squeeze", "Gemm", "MatMul", "Softmax",
    };

    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    public static EngineGraph Compile(OnnxGraph graph, ImportOptions options)
    {
        if (graph.Nodes.FirstOrDefault(n => n.Op != "Constant" && !BackboneOperators.Contains(n.Op) && !ClassifierOperators.Contains(n.Op)) is { } unsupported)
            throw new ModelImportException($"{unsupported.Describe()}: operator {unsupported.Op} is not supported " +
                $"(supported: {string.Join(", ", BackboneOperators.Concat(ClassifierOperators).Order(StringComparer.Ordinal))})");
        if (graph.InputDims.Length is not (0 or 4) || graph.InputDims.Length == 4 && graph.InputDims[1] is { } ch && ch != 3)
            throw new ModelImportException($"the graph's input '{graph.InputName}' is {string.Join("x", graph.InputDims.Select(d => d?.ToString() ?? "?"))}; an image input N x 3 x H x W is needed");
        var side = options.InputSize ?? DeclaredSide(graph) ?? 224;
        if (side < 1) throw new ModelImportException($"--input-size {side} is invalid");

        var shapes = OnnxShapes.Infer(graph, graph.Nodes, side);
        var producer = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var o in n.Outputs) producer[o] = n;
        var feature = FeatureValue(graph, shapes, producer);
        var backbone = Ancestors(graph, feature, producer);
        if (backbone.FirstOrDefault(n => !BackboneOperators.Contains(n.Op)) is { } early)
            throw new ModelImportException($"{early.Describe()}: operator {early.Op} comes before the feature map; it is supported only in the classifier after it");

        var build = new Builder(graph, shapes);
        foreach (var node in backbone) build.Add(node);
        var cuts = build.Cuts(feature);
        var stages = SplitStages(build.Nodes, cuts);
        var groupOfStage = options.GroupEnds is { Count: > 0 } ends
            ? UserGroups(stages, ends, build, backbone)
            : ResolutionGroups(stages, build);
        var groups = groupOfStage.Max() + 1;
        var engineStages = stages.Select((s, i) => new EngineStage(s.Input, s.Output,
            [.. s.Nodes.Select(n => n with { Group = groupOfStage[i] })])).ToList();
        var groupEnds = Enumerable.Range(0, groups)
            .Select(g => engineStages.Where((_, i) => groupOfStage[i] == g).Last().Nodes[^1].SourceName).ToList();

        var mean = options.Mean ?? MetadataTriple(graph, "mean") ?? ImageNetMean;
        var std = options.Std ?? MetadataTriple(graph, "std") ?? ImageNetStd;
        return new EngineGraph(groups, (int)shapes[feature][1], build.ValueCount, side, MinSide(graph, backbone, side),
            mean, std, engineStages, build.Tensors, groupEnds);
    }

    private static int? DeclaredSide(OnnxGraph graph) =>
        graph.InputDims is [_, _, { } h, { } w] && h == w && h > 0 ? (int)h : null;

    private static float[]? MetadataTriple(OnnxGraph graph, string key)
    {
        if (!graph.Metadata.TryGetValue(key, out var text)) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        return parts.Length == 3 && parts.All(p => float.TryParse(p, System.Globalization.CultureInfo.InvariantCulture, out _))
            ? [.. parts.Select(p => float.Parse(p, System.Globalization.CultureInfo.InvariantCulture))]
            : throw new ModelImportException($"the model's metadata '{key}' is '{text}'; expected three numbers separated by commas");
    }

    /// <summary>From the graph's output back through the classifier to the last value with a spatial extent.</summary>
    private static string FeatureValue(OnnxGraph graph, Dictionary<string, long[]> shapes, Dictionary<string, OnnxNode> producer)
    {
        var value = graph.OutputName;
        while (true)
        {
            if (value != graph.InputName && shapes.TryGetValue(value, out var s) && s.Length == 4 && s[2] * s[3] > 1) return value;
            if (!producer.TryGetValue(value, out var node) || node.Op is "Concat" or "Constant")
                throw new ModelImportException("the graph has no spatial output: no layer computes an N x C x H x W feature map before it is pooled, flattened or classified");
            value = node.Inputs.FirstOrDefault(i => i.Length > 0 && !graph.Constants.ContainsKey(i))
                ?? throw new ModelImportException("the graph has no spatial output: its output is a constant");
        }
    }

    /// <summary>The nodes the feature value depends on, in the file's (topological) order.</summary>
    private static List<OnnxNode> Ancestors(OnnxGraph graph, string feature, Dictionary<string, OnnxNode> producer)
    {
        var needed = new HashSet<int>();
        var pending = new Stack<string>([feature]);
        while (pending.Count > 0)
        {
            var v = pending.Pop();
            if (!producer.TryGetValue(v, out var node) || node.Op == "Constant" || !needed.Add(node.Index)) continue;
            foreach (var i in node.Inputs.Where(i => i.Length > 0 && !graph.Constants.ContainsKey(i))) pending.Push(i);
        }
        return [.. graph.Nodes.Where(n => needed.Contains(n.Index))];
    }

    private sealed record StageNodes(int Input, int Output, List<EngineNode> Nodes);

    private static List<StageNodes> SplitStages(IReadOnlyList<EngineNode> nodes, IReadOnlyList<(int After, int Live)> cuts)
    {
        var stages = new List<StageNodes>();
        var input = 0;
        var start = 0;
        foreach (var (after, live) in cuts)
        {
            stages.Add(new StageNodes(input, live, [.. nodes.Skip(start).Take(after + 1 - start)]));
            input = live;
            start = after + 1;
        }
        return stages;
    }

    private static bool HoldsTensors(StageNodes s) => s.Nodes.Any(n => n.Module is not null && n.Op != "Add" && n.Op != "Mul");

    /// <summary>A new group at each stage that lowers the resolution, once the current group holds weights; a last group
    /// without weights joins the one before.</summary>
    private static int[] ResolutionGroups(List<StageNodes> stages, Builder build)
    {
        var groups = new int[stages.Count];
        var group = 0;
        var holds = false;
        for (var i = 0; i < stages.Count; i++)
        {
            if (i > 0 && holds && build.Height(stages[i].Output) < build.Height(stages[i].Input))
            {
                group++;
                holds = false;
            }
            groups[i] = group;
            holds |= HoldsTensors(stages[i]);
        }
        if (!holds && group > 0)
            for (var i = 0; i < groups.Length; i++) groups[i] = Math.Min(groups[i], group - 1);
        return groups;
    }

    private static int[] UserGroups(List<StageNodes> stages, IReadOnlyList<string> ends, Builder build, List<OnnxNode> backbone)
    {
        var stageEndingAfter = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < stages.Count; i++) stageEndingAfter[stages[i].Nodes[^1].SourceName] = i;
        var endStages = new List<int>();
        foreach (var name in ends)
        {
            if (backbone.FirstOrDefault(n => n.Name == name) is not { } node)
                throw new ModelImportException($"--groups: no node named '{name}' before the feature map");
            if (!stageEndingAfter.TryGetValue(name, out var stage))
                throw new ModelImportException($"--groups: the backbone cannot be cut after node '{name}': {build.LiveAfter(node)} values are live there (cut between blocks, where one tensor is live)");
            if (endStages.Count > 0 && stage <= endStages[^1])
                throw new ModelImportException($"--groups: '{name}' does not come after the node named before it");
            endStages.Add(stage);
        }
        var groups = new int[stages.Count];
        var group = 0;
        for (var i = 0; i < stages.Count; i++)
        {
            groups[i] = group;
            if (group < endStages.Count && endStages[group] == i) group++;
        }
        for (var g = 0; g <= endStages.Count; g++)
            if (!stages.Where((_, i) => groups[i] == g).Any(HoldsTensors))
                throw new ModelImportException($"--groups: group {g + 1} of {endStages.Count + 1} holds no weights" +
                    (g == endStages.Count ? $" (nothing with weights follows '{ends[^1]}')" : ""));
        return groups;
    }

    /// <summary>The smallest input side the backbone accepts (every window fits, every branch joins).</summary>
    private static int MinSide(OnnxGraph graph, List<OnnxNode> backbone, int side)
    {
        for (var s = 1; s < side; s++)
        {
            try
            {
                OnnxShapes.Infer(graph, backbone, s);
                return s;
            }
            catch (ModelImportException)
            {
            }
        }
        return side;
    }

    /// <summary>Turns ONNX nodes into engine nodes: value ids, modules, tensors, resolved attributes.</summary>
    private sealed class Builder(OnnxGraph graph, Dictionary<string, long[]> shapes)
    {
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal) { [graph.InputName] = 0 };
        private readonly List<string> _values = [graph.InputName];
        private readonly Dictionary<int, int> _lastUse = [];
        private readonly Dictionary<int, int> _indexOf = [];

        public List<EngineNode> Nodes { get; } = [];
        public List<NamedTensor> Tensors { get; } = [];
        public int ValueCount => _values.Count;

        public long Height(int value) => shapes[_values[value]][2];

        public void Add(OnnxNode node)
        {
            var dataInputs = node.Inputs.Where(i => i.Length > 0 && !graph.Constants.ContainsKey(i)).ToList();
            var inputs = dataInputs.Select(i => _ids[i]).ToArray();
            foreach (var v in inputs) _lastUse[v] = Nodes.Count;
            var attrs = new List<KeyValuePair<string, double[]>>();
            void Attr(string key, params double[] values) => attrs.Add(new(key, values));
            string? module = null;
            var op = node.Op == "Dropout" ? "Identity" : node.Op;
            var x = shapes[node.Inputs[0]];
            switch (node.Op)
            {
                case "Conv":
                {
                    module = ModuleName(node);
                    var w = OnnxShapes.Constant(graph, node, 1);
                    var group = node.Int("group") ?? 1;
                    var window = Window.Of(node, x, [w.Dims[2], w.Dims[3]]);
                    Attr("channels", w.Dims[1] * group, w.Dims[0]);
                    Attr("kernel", w.Dims[2], w.Dims[3]);
                    Attr("stride", [.. window.Stride.Select(v => (double)v)]);
                    Attr("pads", [.. window.Pads.Select(v => (double)v)]);
                    Attr("dilation", [.. window.Dilation.Select(v => (double)v)]);
                    Attr("group", group);
                    var bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0;
                    Attr("bias", bias ? 1 : 0);
                    Tensors.Add(new(module + ".weight", w.Dims, w.Values));
                    if (bias) Tensors.Add(new(module + ".bias", [w.Dims[0]], OnnxShapes.Constant(graph, node, 2).Values));
                    break;
                }
                case "BatchNormalization":
                {
                    module = ModuleName(node);
                    var channels = x[1];
                    Attr("channels", channels);
                    Attr("eps", node.Float("epsilon") ?? 1e-5f);
                    string[] names = ["weight", "bias", "running_mean", "running_var"];
                    for (var i = 0; i < 4; i++)
                    {
                        var t = OnnxShapes.Constant(graph, node, i + 1);
                        if (t.Values.LongLength != channels)
                            throw new ModelImportException($"{node.Describe()}: input {i + 2} has {t.Values.LongLength} values for {channels} channels");
                        Tensors.Add(new($"{module}.{names[i]}", [channels], t.Values));
                    }
                    break;
                }
                case "Clip":
                {
                    var lo = node.Float("min") ?? float.NegativeInfinity;
                    var hi = node.Float("max") ?? float.PositiveInfinity;
                    if (node.Inputs.Count > 1 && node.Inputs[1].Length > 0) lo = OnnxShapes.Constant(graph, node, 1).Values[0];
                    if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0) hi = OnnxShapes.Constant(graph, node, 2).Values[0];
                    Attr("min", lo);
                    Attr("max", hi);
                    break;
                }
                case "Add" or "Mul":
                {
                    var constant = node.Inputs.Take(2).FirstOrDefault(graph.Constants.ContainsKey);
                    if (constant is not null)
                    {
                        if (inputs.Length != 1) throw new ModelImportException($"{node.Describe()}: both operands are constant");
                        module = ModuleName(node);
                        var c = graph.Constants[constant];
                        Attr("const", [.. c.Dims.Select(d => (double)d)]);
                        Tensors.Add(new(module + ".value", c.Dims, c.Values));
                    }
                    else if (inputs.Length != 2) throw new ModelImportException($"{node.Describe()}: expected two operands");
                    break;
                }
                case "Pad":
                    Attr("pads", [.. Padding.Of(graph, node).Select(v => (double)v)]);
                    Attr("value", Padding.Value(graph, node));
                    break;
                case "Concat":
                    Attr("axis", OnnxShapes.Axis(node, node.Int("axis") ?? 1, 4));
                    if (attrs[^1].Value[0] == 0) throw new ModelImportException($"{node.Describe()}: concatenation along the batch axis is not supported");
                    break;
                case "MaxPool" or "AveragePool":
                {
                    var window = Window.Of(node, x, node.Ints("kernel_shape")!);
                    var p = window.Pads;
                    var native = p[0] == p[2] && p[1] == p[3] && p[0] * 2 <= window.Kernel[0] && p[1] * 2 <= window.Kernel[1];
                    if (window.Ceil && !native)
                        throw new ModelImportException($"{node.Describe()}: ceil_mode with pads {string.Join(",", p)} is not supported");
                    if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
                        throw new ModelImportException($"{node.Describe()}: the indices output of MaxPool is not supported");
                    Attr("kernel", [.. window.Kernel.Select(v => (double)v)]);
                    Attr("stride", [.. window.Stride.Select(v => (double)v)]);
                    Attr("pads", [.. p.Select(v => (double)v)]);
                    Attr("ceil", window.Ceil ? 1 : 0);
                    if (node.Op == "MaxPool") Attr("dilation", [.. window.Dilation.Select(v => (double)v)]);
                    else Attr("include_pad", node.Int("count_include_pad") ?? 0);
                    break;
                }
            }
            var output = node.Outputs[0];
            _ids[output] = _values.Count;
            _values.Add(output);
            _indexOf[_ids[output]] = Nodes.Count;
            Nodes.Add(new EngineNode(op, module, 0, _ids[output], inputs, attrs, node.Name.Length > 0 ? node.Name : output));
        }

        /// <summary>After which nodes exactly one value is live, and which: the stage boundaries.</summary>
        public List<(int After, int Live)> Cuts(string feature)
        {
            var featureId = _ids[feature];
            var cuts = new List<(int, int)>();
            var live = new HashSet<int> { 0 };
            for (var i = 0; i < Nodes.Count; i++)
            {
                live.Add(Nodes[i].Output);
                live.RemoveWhere(v => v != featureId && (!_lastUse.TryGetValue(v, out var last) || last <= i));
                if (live.Count == 1) cuts.Add((i, live.First()));
            }
            return cuts;
        }

        public int LiveAfter(OnnxNode node)
        {
            var i = _indexOf[_ids[node.Outputs[0]]];
            return Enumerable.Range(0, _values.Count).Count(v => (v == 0 || _indexOf.TryGetValue(v, out var d) && d <= i)
                && _lastUse.TryGetValue(v, out var last) && last > i);
        }

        private string ModuleName(OnnxNode node)
        {
            var source = node.Name.Length > 0 ? node.Name : node.Op;
            var clean = new StringBuilder();
            foreach (var ch in source) clean.Append(char.IsAsciiLetterOrDigit(ch) ? ch : '_');
            return $"l{Nodes.Count}_{clean}";
        }
    }
}
