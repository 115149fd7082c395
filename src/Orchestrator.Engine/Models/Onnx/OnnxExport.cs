using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Onnx;
using Orchestrator.Files;

namespace Orchestrator.Engine.Models.Onnx;

/// <summary>Writes the engine's exported forward (<see cref="Training.TorchTrainer.ExportGraph"/>: ONNX operators in the
/// line format of native/README.md, "Export", and their initializers as a raw tensor file) as an ONNX model with
/// OnnxSharp's protobuf classes: input <c>input</c> (N x 3 x S x S, normalized), output <c>logits</c> (N x classes),
/// operator set 13, and the given metadata properties.</summary>
public static class OnnxExport
{
    public const string InputName = "input";
    public const string OutputName = "logits";
    public const int Opset = 13;

    public static ModelProto Build(string graphText, ReadOnlySpan<byte> tensors, int classes, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(graphText);
        ArgumentNullException.ThrowIfNull(metadata);
        var initializers = ReadTensors(tensors).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var lines = graphText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != "ote-export 1") throw new InvalidDataException("not an engine export (ote-export 1)");
        var names = new Dictionary<int, string>();
        var output = lines.Select(l => l.Split(' ')).FirstOrDefault(f => f[0] == "output") is { } o
            ? Id(o[1]) : throw new InvalidDataException("the export names no output");
        string Name(int id) => id < 0 ? "" : names.TryGetValue(id, out var n) ? n : names[id] = id == output ? OutputName : $"v{id}";

        var graph = new GraphProto { Name = "orchestrator-export" };
        foreach (var fields in lines.Skip(1).Select(l => l.Split(' ')))
            switch (fields[0])
            {
                case "input":
                    names[Id(fields[1])] = InputName;
                    graph.Input.Add(Value(InputName, [null, .. fields.Skip(2).Select(long.Parse)]));
                    break;
                case "initializer":
                    names[Id(fields[1])] = fields[2];
                    graph.Initializer.Add(initializers.TryGetValue(fields[2], out var t) ? t
                        : throw new InvalidDataException($"the export names tensor '{fields[2]}' it does not hold"));
                    break;
                case "node":
                    var node = new NodeProto { OpType = fields[1], Name = $"{fields[1]}_{graph.Node.Count}" };
                    node.Output.Add(Name(Id(fields[2])));
                    node.Input.AddRange(fields[3].Split(',').Select(i => Name(Id(i))));
                    node.Attribute.AddRange(fields.Skip(4).Select(Attribute));
                    graph.Node.Add(node);
                    break;
                case "output":
                    graph.Output.Add(Value(Name(Id(fields[1])), [null, classes]));
                    break;
                default:
                    throw new InvalidDataException($"unknown export line '{fields[0]}'");
            }

        var model = new ModelProto
        {
            IrVersion = 7,
            ProducerName = "orchestrator",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    /// <summary>Writes the model atomically: a temporary file beside <paramref name="path"/>, fsynced and renamed.</summary>
    public static void Save(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        DurableFileSystem.WriteAtomically(path, model.WriteTo);
    }

    private static int Id(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>A float tensor value; null dimensions are the batch, named N.</summary>
    private static ValueInfoProto Value(string name, long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is { } v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    /// <summary><c>name:ints=1,2</c>, <c>name:int=1</c> or <c>name:float=1e-05</c>.</summary>
    private static AttributeProto Attribute(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (colon < 0 || equals < colon) throw new InvalidDataException($"malformed export attribute '{text}'");
        var attribute = new AttributeProto { Name = text[..colon] };
        var value = text[(equals + 1)..];
        switch (text[(colon + 1)..equals])
        {
            case "ints":
                attribute.Type = AttributeProto.Types.AttributeType.Ints;
                attribute.Ints.AddRange(value.Split(',').Select(v => long.Parse(v, CultureInfo.InvariantCulture)));
                break;
            case "int":
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = long.Parse(value, CultureInfo.InvariantCulture);
                break;
            case "float":
                attribute.Type = AttributeProto.Types.AttributeType.Float;
                attribute.F = float.Parse(value, CultureInfo.InvariantCulture);
                break;
            default:
                throw new InvalidDataException($"unknown export attribute type in '{text}'");
        }
        return attribute;
    }

    /// <summary>The engine's raw tensor file (OTERAW01, native/README.md "Files") as ONNX tensors: float32 and int64.</summary>
    public static IReadOnlyList<TensorProto> ReadTensors(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 12 || !raw[..8].SequenceEqual("OTERAW01"u8)) throw new InvalidDataException("not a raw tensor file (OTERAW01)");
        var at = 8;
        uint U32(ReadOnlySpan<byte> r)
        {
            var v = BinaryPrimitives.ReadUInt32LittleEndian(r[at..]);
            at += 4;
            return v;
        }
        var count = U32(raw);
        var tensors = new List<TensorProto>((int)count);
        for (var i = 0; i < count; i++)
        {
            var length = (int)U32(raw);
            var name = Encoding.UTF8.GetString(raw.Slice(at, length));
            at += length;
            var dtype = U32(raw);
            var rank = (int)U32(raw);
            var tensor = new TensorProto
            {
                Name = name,
                DataType = (int)(dtype switch
                {
                    0 => TensorProto.Types.DataType.Float,
                    1 => TensorProto.Types.DataType.Int64,
                    _ => throw new InvalidDataException($"tensor '{name}' has unknown dtype {dtype}"),
                }),
            };
            var elements = 1L;
            for (var d = 0; d < rank; d++)
            {
                var dim = BinaryPrimitives.ReadInt64LittleEndian(raw[at..]);
                at += 8;
                tensor.Dims.Add(dim);
                elements *= dim;
            }
            var bytes = checked((int)(elements * (dtype == 0 ? 4 : 8)));
            tensor.RawData = ByteString.CopyFrom(raw.Slice(at, bytes));
            at += bytes;
            tensors.Add(tensor);
        }
        return tensors;
    }
}
