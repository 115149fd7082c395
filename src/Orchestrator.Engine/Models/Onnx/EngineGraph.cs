using System.Globalization;
using System.Text;

namespace Orchestrator.Engine.Models.Onnx;

/// <summary>One node as the native engine builds it: operator, the module holding its tensors (null: none), its
/// layer group, the value it computes and the values it reads (0 is the network input), and its attributes.</summary>
public sealed record EngineNode(string Op, string? Module, int Group, int Output, int[] Inputs,
    IReadOnlyList<KeyValuePair<string, double[]>> Attributes, string SourceName);

/// <summary>A run of nodes that reads one value and ends in one value: the unit the feature cache keeps.</summary>
public sealed record EngineStage(int Input, int Output, IReadOnlyList<EngineNode> Nodes);

public sealed record NamedTensor(string Name, long[] Dims, float[] Values);

/// <summary>A backbone compiled from an ONNX graph for the native engine (native/README.md, "Graph backbones"):
/// stages, groups, tensors, the input it expects.</summary>
public sealed record EngineGraph(
    int Groups,
    int FeatureDim,
    int Values,
    int InputSize,
    int MinInputSize,
    float[] Mean,
    float[] Std,
    IReadOnlyList<EngineStage> Stages,
    IReadOnlyList<NamedTensor> Tensors,
    IReadOnlyList<string> GroupEnds)
{
    public long ParameterCount => Tensors.Sum(t => t.Values.LongLength);

    /// <summary>graph.txt: line-oriented, read by native/src/arch_onnx_graph.cpp.</summary>
    public string GraphText()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append("ote-graph 1\n");
        text.Append(c, $"groups {Groups}\nvalues {Values}\nfeature_dim {FeatureDim}\ninput_size {InputSize} {MinInputSize}\n");
        text.Append(c, $"mean {string.Join(' ', Mean.Select(v => v.ToString("R", c)))}\n");
        text.Append(c, $"std {string.Join(' ', Std.Select(v => v.ToString("R", c)))}\n");
        foreach (var stage in Stages)
        {
            text.Append(c, $"stage {stage.Input} {stage.Output}\n");
            foreach (var n in stage.Nodes)
            {
                text.Append(c, $"node {n.Op} {n.Module ?? "-"} {n.Group} {n.Output} {string.Join(',', n.Inputs)}");
                foreach (var (key, values) in n.Attributes)
                    text.Append(c, $" {key}={string.Join(',', values.Select(v => Number(v)))}");
                text.Append('\n');
            }
        }
        return text.ToString();
    }

    // strtod reads "inf" but not .NET's "Infinity"; clip bounds are often infinite.
    private static string Number(double v) =>
        double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>weights.bin: the engine's raw tensor file (OTERAW01, native/README.md "Files").</summary>
    public void WriteWeights(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write("OTERAW01"u8);
        w.Write((uint)Tensors.Count);
        foreach (var t in Tensors)
        {
            var name = Encoding.UTF8.GetBytes(t.Name);
            w.Write((uint)name.Length);
            w.Write(name);
            w.Write(0u);  // float32
            w.Write((uint)t.Dims.Length);
            foreach (var d in t.Dims) w.Write(d);
            w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Values.AsSpan()));
        }
    }
}
