using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Orchestrator.Engine.Models.Onnx;

/// <summary>A constant tensor of the graph (an initializer or a Constant node), as floats.</summary>
public sealed record ConstantTensor(long[] Dims, float[] Values);

/// <summary>One ONNX node with its attributes read into plain values.</summary>
public sealed record OnnxNode(int Index, string Name, string Op, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, AttributeProto> Attributes)
{
    /// <summary>"'Conv_3' (node 4, Conv)", for messages.</summary>
    public string Describe() => $"node '{(Name.Length > 0 ? Name : Outputs.FirstOrDefault() ?? "?")}' (#{Index + 1}, {Op})";

    public long[]? Ints(string name) => Attributes.TryGetValue(name, out var a) ? [.. a.Ints] : null;
    public long? Int(string name) => Attributes.TryGetValue(name, out var a) ? a.I : null;
    public float? Float(string name) => Attributes.TryGetValue(name, out var a) ? a.F : null;
    public string? String(string name) => Attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : null;
}

/// <summary>The parts of an ONNX model an import needs, read with OnnxSharp's generated protobuf classes: the image
/// input, the first output, the nodes in the file's (topological) order and the constants.</summary>
public sealed record OnnxGraph(string InputName, long?[] InputDims, string OutputName, IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyDictionary<string, ConstantTensor> Constants, IReadOnlyDictionary<string, string> Metadata, long Opset)
{
    /// <exception cref="ModelImportException">The file is not an ONNX model or lacks an input or output.</exception>
    public static OnnxGraph Load(string path)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelImportException($"{path} is not an ONNX model ({e.Message})");
        }
        // Arbitrary bytes can parse as an almost empty message: a model has a graph with nodes and an opset.
        if (model.Graph is not { Node.Count: > 0 } graph || model.OpsetImport.Count == 0)
            throw new ModelImportException($"{path} is not an ONNX model (no graph nodes or operator set)");

        var constants = new Dictionary<string, ConstantTensor>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) constants[t.Name] = ReadTensor(t, path);
        var nodes = new List<OnnxNode>();
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var n = graph.Node[i];
            var node = new OnnxNode(i, n.Name, n.OpType, [.. n.Input], [.. n.Output],
                n.Attribute.ToDictionary(a => a.Name, a => a, StringComparer.Ordinal));
            if (n.OpType == "Constant" && n.Output.Count == 1 && node.Attributes.TryGetValue("value", out var value) && value.T is { } t)
                constants[n.Output[0]] = ReadTensor(t, path);
            // PyTorch's exporter shares equal initializers (e.g. folded biases) through Identity nodes.
            else if (n.OpType == "Identity" && constants.TryGetValue(n.Input[0], out var shared))
                constants[n.Output[0]] = shared;
            nodes.Add(node);
        }
        var input = graph.Input.FirstOrDefault(i => !constants.ContainsKey(i.Name))
            ?? throw new ModelImportException($"{path}: the graph has no input");
        var dims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : (long?)null).ToArray() ?? [];
        var output = graph.Output.FirstOrDefault() ?? throw new ModelImportException($"{path}: the graph has no output");
        var opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();
        return new OnnxGraph(input.Name, dims, output.Name, nodes, constants,
            model.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), opset);
    }

    private static ConstantTensor ReadTensor(TensorProto t, string path)
    {
        var dims = t.Dims.ToArray();
        var count = dims.Aggregate(1L, (a, d) => a * d);
        float[] values = (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float => t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : [.. t.FloatData],
            TensorProto.Types.DataType.Int64 => t.RawData.Length > 0
                ? [.. MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray().Select(v => (float)v)]
                : [.. t.Int64Data.Select(v => (float)v)],
            TensorProto.Types.DataType.Int32 => t.RawData.Length > 0
                ? [.. MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (float)v)]
                : [.. t.Int32Data.Select(v => (float)v)],
            TensorProto.Types.DataType.Double => t.RawData.Length > 0
                ? [.. MemoryMarshal.Cast<byte, double>(t.RawData.Span).ToArray().Select(v => (float)v)]
                : [.. t.DoubleData.Select(v => (float)v)],
            var other => throw new ModelImportException($"{path}: tensor '{t.Name}' has data type {other}; float, double, int32 and int64 are supported"),
        };
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new ModelImportException($"{path}: tensor '{t.Name}' is stored outside the file (external data is not supported)");
        if (values.LongLength != count)
            throw new ModelImportException($"{path}: tensor '{t.Name}' holds {values.LongLength} values, its shape {count}");
        return new ConstantTensor(dims, values);
    }
}
