using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Interop;

namespace Orchestrator.Engine.Models.Onnx;

/// <summary>What model.json records of an imported backbone.</summary>
public sealed record ImportedModel(
    string Name,
    string Source,
    string SourceSha256,
    int Groups,
    IReadOnlyList<string> GroupEnds,
    int Stages,
    int FeatureDim,
    int InputSize,
    int MinInputSize,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    long Parameters,
    DateTimeOffset ImportedAt)
{
    public const string FileName = "model.json";
}

/// <summary>
/// The folder of imported backbones: one folder per backbone (graph.txt, weights.bin, model.json). By default
/// <c>.orchestrator/models</c> in the working directory, beside the default store; <c>$ORCHESTRATOR_MODELS</c> names
/// another (give every worker the same). Every process registers what it finds there with the engine and with the
/// spec parser (<see cref="RegisterInstalled"/>), so `sweep run`, workers and `model forward` know the backbones.
/// </summary>
public sealed partial class ModelLibrary(string root)
{
    public const string Variable = "ORCHESTRATOR_MODELS";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static readonly object Gate = new();

    public string Root { get; } = Path.GetFullPath(root);

    public static ModelLibrary Default() =>
        new(Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } dir ? dir : Path.Combine(".orchestrator", "models"));

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex NamePattern();

    public string PathOf(string name) => Path.Combine(Root, name);

    public bool Contains(string name) => File.Exists(Path.Combine(PathOf(name), ImportedModel.FileName));

    /// <summary>The backbones in the folder, by name; a folder without a readable model.json, or named as no import can
    /// be (a built-in backbone, say), is skipped.</summary>
    public IReadOnlyList<ImportedModel> List()
    {
        if (!Directory.Exists(Root)) return [];
        var models = new List<ImportedModel>();
        foreach (var dir in Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal))
        {
            var file = Path.Combine(dir, ImportedModel.FileName);
            var name = Path.GetFileName(dir);
            if (!File.Exists(file) || !NamePattern().IsMatch(name) || Backbones.Supported.Contains(name)) continue;
            try
            {
                if (JsonSerializer.Deserialize<ImportedModel>(File.ReadAllText(file), Json) is { } m && m.Name == name)
                    models.Add(m);
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
            }
        }
        return models;
    }

    /// <summary>Compiles the ONNX file and writes the backbone's folder, whole or not at all.</summary>
    /// <exception cref="ModelImportException">Bad name, existing backbone, or a file the import refuses.</exception>
    public ImportedModel Import(string onnxPath, string name, ImportOptions options, DateTimeOffset now)
    {
        CheckName(name);
        if (Contains(name)) throw new ModelImportException($"a backbone named '{name}' is already imported ({PathOf(name)})");
        var graph = GraphCompiler.Compile(OnnxGraph.Load(onnxPath), options);
        var model = new ImportedModel(name, Path.GetFullPath(onnxPath), Sha256(onnxPath), graph.Groups, graph.GroupEnds,
            graph.Stages.Count, graph.FeatureDim, graph.InputSize, graph.MinInputSize, graph.Mean, graph.Std,
            graph.ParameterCount, now);
        Directory.CreateDirectory(Root);
        var temp = Path.Combine(Root, $".{name}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            File.WriteAllText(Path.Combine(temp, "graph.txt"), graph.GraphText());
            using (var weights = File.Create(Path.Combine(temp, "weights.bin"))) graph.WriteWeights(weights);
            File.WriteAllText(Path.Combine(temp, ImportedModel.FileName), JsonSerializer.Serialize(model, Json));
            // The engine builds it (and keeps its tensors) before it is published: a graph it cannot run is refused
            // here, not in a trial.
            Register(name, temp);
            Directory.Move(temp, PathOf(name));
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
        return model;
    }

    /// <summary>Registers every backbone of the folder with the spec parser (cheap: model.json only) and makes the
    /// engine register them on first use (<see cref="EnsureEngineKnows"/>).</summary>
    public static void RegisterInstalled(ModelLibrary library)
    {
        foreach (var m in library.List())
            Backbones.Register(new ImportedBackbone(m.Name, m.Groups, m.InputSize, m.MinInputSize));
        lock (Gate) _pending = library;
    }

    private static ModelLibrary? _pending;

    /// <summary>Registers the installed backbones with the native engine, once per process, before an engine call that
    /// names an architecture.</summary>
    public static void EnsureEngineKnows()
    {
        // Held while registering: slots creating their trainers at once must all wait for the registration.
        lock (Gate)
        {
            if (_pending is not { } library) return;
            foreach (var m in library.List())
            {
                try
                {
                    Register(m.Name, library.PathOf(m.Name));
                }
                catch (EngineException e)
                {
                    throw new EngineException($"imported backbone '{m.Name}' in {library.Root}: {e.Message}", e.InvalidInput);
                }
            }
            _pending = null;
        }
    }

    /// <summary>Registers one backbone folder with the engine (and the spec parser) under <paramref name="name"/>.</summary>
    public static void Register(string name, string folder)
    {
        NativeMethods.Check(NativeMethods.ote_graph_register(name, Path.GetFullPath(folder)));
        var model = JsonSerializer.Deserialize<ImportedModel>(File.ReadAllText(Path.Combine(folder, ImportedModel.FileName)), Json)!;
        Backbones.Register(new ImportedBackbone(name, model.Groups, model.InputSize, model.MinInputSize));
    }

    private static void CheckName(string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new ModelImportException($"--name '{name}' is invalid (lowercase letters, digits, '.', '_' and '-')");
        if (Backbones.Supported.Contains(name))
            throw new ModelImportException($"--name '{name}' is a built-in backbone");
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
