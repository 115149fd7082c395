namespace Orchestrator.Engine.Models.Onnx;

/// <summary>A convolution's or pooling's window over H and W, with ONNX pads [top, left, bottom, right] resolved
/// (auto_pad included) for one input shape.</summary>
public sealed record Window(long[] Kernel, long[] Stride, long[] Pads, long[] Dilation, bool Ceil)
{
    public static Window Of(OnnxNode node, long[] input, long[] kernel)
    {
        var stride = node.Ints("strides") ?? [1, 1];
        var dilation = node.Ints("dilations") ?? [1, 1];
        var pads = node.Ints("pads") ?? [0, 0, 0, 0];
        var autoPad = node.String("auto_pad") ?? "NOTSET";
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            pads = new long[4];
            for (var a = 0; a < 2; a++)
            {
                var inSize = input[2 + a];
                var outSize = (inSize + stride[a] - 1) / stride[a];
                var total = Math.Max(0, (outSize - 1) * stride[a] + (kernel[a] - 1) * dilation[a] + 1 - inSize);
                var small = total / 2;
                (pads[a], pads[a + 2]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
            }
        }
        else if (autoPad == "VALID") pads = [0, 0, 0, 0];
        if (kernel.Length != 2 || stride.Length != 2 || dilation.Length != 2 || pads.Length != 4)
            throw new ModelImportException($"{node.Describe()}: only 2-D windows are supported");
        return new Window(kernel, stride, pads, dilation, node.Int("ceil_mode") == 1);
    }

    public long[] Output(OnnxNode node, long[] input, long channels)
    {
        var size = new long[2];
        for (var a = 0; a < 2; a++)
        {
            var span = input[2 + a] + Pads[a] + Pads[a + 2] - Dilation[a] * (Kernel[a] - 1) - 1;
            size[a] = (Ceil ? (span + Stride[a] - 1) / Stride[a] : span / Stride[a]) + 1;
            if (span < 0 || size[a] < 1)
                throw new ModelImportException($"{node.Describe()}: its window does not fit a {input[2]}x{input[3]} input");
        }
        return [input[0], channels, size[0], size[1]];
    }
}

/// <summary>Shapes of the values of an ONNX graph for an N=1 image input of a given side, for the operators an import
/// accepts. Every refusal names the node.</summary>
public static class OnnxShapes
{
    public static Dictionary<string, long[]> Infer(OnnxGraph graph, IEnumerable<OnnxNode> nodes, int side)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { [graph.InputName] = [1, 3, side, side] };
        foreach (var (name, c) in graph.Constants) shapes[name] = c.Dims;
        foreach (var node in nodes)
        {
            if (node.Op == "Constant" || graph.Constants.ContainsKey(node.Outputs[0])) continue;
            long[] In(int i) => i < node.Inputs.Count && shapes.TryGetValue(node.Inputs[i], out var s)
                ? s
                : throw new ModelImportException($"{node.Describe()}: input {i + 1} has no known shape");
            shapes[node.Outputs[0]] = Output(graph, node, In);
        }
        return shapes;
    }

    private static long[] Output(OnnxGraph graph, OnnxNode node, Func<int, long[]> input)
    {
        switch (node.Op)
        {
            case "Conv":
            {
                var x = Spatial(node, input(0));
                var w = input(1);
                var group = node.Int("group") ?? 1;
                if (w.Length != 4 || x[1] != w[1] * group || w[0] % group != 0)
                    throw new ModelImportException($"{node.Describe()}: weights {Shape(w)} do not fit input {Shape(x)} with {group} groups");
                return Window.Of(node, x, [w[2], w[3]]).Output(node, x, w[0]);
            }
            case "MaxPool" or "AveragePool":
            {
                var x = Spatial(node, input(0));
                return Window.Of(node, x, node.Ints("kernel_shape") ?? throw new ModelImportException($"{node.Describe()}: no kernel_shape")).Output(node, x, x[1]);
            }
            case "Pad":
            {
                var x = Spatial(node, input(0));
                var p = Padding.Of(graph, node);
                return [x[0], x[1], x[2] + p[0] + p[2], x[3] + p[1] + p[3]];
            }
            case "GlobalAveragePool":
            {
                var x = Spatial(node, input(0));
                return [x[0], x[1], 1, 1];
            }
            case "BatchNormalization" or "Relu" or "Sigmoid" or "Clip" or "Identity" or "Dropout" or "Softmax":
                return input(0);
            case "Add" or "Mul":
                return Broadcast(node, input(0), input(1));
            case "Concat":
            {
                var first = input(0);
                var axis = Axis(node, node.Int("axis") ?? 1, first.Length);
                var result = (long[])first.Clone();
                for (var i = 1; i < node.Inputs.Count; i++)
                {
                    var s = input(i);
                    if (s.Length != first.Length || Enumerable.Range(0, s.Length).Any(d => d != axis && s[d] != first[d]))
                        throw new ModelImportException($"{node.Describe()}: inputs {Shape(first)} and {Shape(s)} do not concatenate on axis {axis}");
                    result[axis] += s[axis];
                }
                return result;
            }
            case "Flatten":
            {
                var x = input(0);
                var axis = (int)(node.Int("axis") ?? 1);
                if (axis < 0) axis += x.Length;
                return [x.Take(axis).Aggregate(1L, (a, b) => a * b), x.Skip(axis).Aggregate(1L, (a, b) => a * b)];
            }
            case "Reshape":
            {
                var x = input(0);
                var target = Constant(graph, node, 1).Values.Select(v => (long)v).ToArray();
                for (var d = 0; d < target.Length; d++)
                    if (target[d] == 0) target[d] = x[d];
                var known = target.Where(v => v != -1).Aggregate(1L, (a, b) => a * b);
                var total = x.Aggregate(1L, (a, b) => a * b);
                for (var d = 0; d < target.Length; d++)
                    if (target[d] == -1) target[d] = total / Math.Max(1, known);
                return target;
            }
            case "Squeeze":
            {
                var x = input(0);
                var axes = node.Ints("axes") ?? (node.Inputs.Count > 1 ? [.. Constant(graph, node, 1).Values.Select(v => (long)v)] : null);
                return [.. x.Where((d, i) => axes is null ? d != 1 : !axes.Select(a => a < 0 ? a + x.Length : a).Contains(i))];
            }
            case "Gemm":
            {
                var a = input(0);
                var b = input(1);
                if (a.Length != 2 || b.Length != 2) throw new ModelImportException($"{node.Describe()}: Gemm needs 2-D inputs, got {Shape(a)} and {Shape(b)}");
                var m = node.Int("transA") == 1 ? a[1] : a[0];
                var n = node.Int("transB") == 1 ? b[0] : b[1];
                return [m, n];
            }
            case "MatMul":
            {
                var a = input(0);
                var b = input(1);
                return [.. a[..^1], b[^1]];
            }
            default:
                throw new ModelImportException($"{node.Describe()}: operator {node.Op} is not supported");
        }
    }

    public static ConstantTensor Constant(OnnxGraph graph, OnnxNode node, int index) =>
        index < node.Inputs.Count && graph.Constants.TryGetValue(node.Inputs[index], out var c)
            ? c
            : throw new ModelImportException($"{node.Describe()}: input {index + 1} must be a constant");

    public static int Axis(OnnxNode node, long axis, int rank)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ModelImportException($"{node.Describe()}: axis {axis} is out of range");
        return (int)a;
    }

    public static string Shape(long[] s) => string.Join("x", s);

    private static long[] Spatial(OnnxNode node, long[] x) =>
        x.Length == 4 ? x : throw new ModelImportException($"{node.Describe()}: expects an N x C x H x W input, got {Shape(x)}");

    private static long[] Broadcast(OnnxNode node, long[] a, long[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            var db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ModelImportException($"{node.Describe()}: shapes {Shape(a)} and {Shape(b)} do not broadcast");
            result[i] = Math.Max(da, db);
        }
        return result;
    }
}

/// <summary>A Pad node's constant padding of H and W, as [top, left, bottom, right].</summary>
public static class Padding
{
    public static long[] Of(OnnxGraph graph, OnnxNode node)
    {
        if ((node.String("mode") ?? "constant") != "constant")
            throw new ModelImportException($"{node.Describe()}: only constant padding is supported, not {node.String("mode")}");
        var pads = node.Ints("pads") ?? [.. OnnxShapes.Constant(graph, node, 1).Values.Select(v => (long)v)];
        if (pads.Length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0)
            throw new ModelImportException($"{node.Describe()}: only padding of H and W is supported (pads {string.Join(",", pads)})");
        return [pads[2], pads[3], pads[6], pads[7]];
    }

    public static float Value(OnnxGraph graph, OnnxNode node) =>
        node.Float("value") ?? (node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? OnnxShapes.Constant(graph, node, 2).Values[0] : 0f);
}
