using Orchestrator.Engine.Interop;

namespace Orchestrator.Engine.Models;

/// <summary>
/// Backbone weights of one architecture, read from a file <see cref="Save"/> wrote or from a flat PyTorch state dict
/// (<c>torch.save(dict(model.state_dict()), f)</c>), every tensor checked by name and shape. The reference's
/// ImageNet classifier, when the source has it, is kept apart from the backbone. A mismatch throws an
/// <see cref="EngineException"/> with <see cref="EngineException.InvalidInput"/> set, listing missing and unexpected
/// names. To start training from these weights, pass the saved file to
/// <see cref="Training.TorchTrainer.LoadBackboneWeights"/>.
/// </summary>
public sealed class BackboneWeights : IDisposable
{
    private readonly WeightsHandle _handle;

    private BackboneWeights(string architecture, WeightsHandle handle, NativeMethods.WeightsSummaryNative summary)
    {
        Architecture = architecture;
        _handle = handle;
        BackboneTensors = summary.BackboneTensors;
        ClassifierTensors = summary.ClassifierTensors;
        IgnoredTensors = summary.IgnoredTensors;
        FromStateDict = summary.FromStateDict != 0;
        ImageNetClasses = summary.Classes;
    }

    public string Architecture { get; }
    public int BackboneTensors { get; }
    /// <summary>Tensors of the reference's ImageNet classifier (0 when the source had none).</summary>
    public int ClassifierTensors { get; }
    /// <summary>Tensors dropped on purpose, e.g. inception_v3's auxiliary classifier.</summary>
    public int IgnoredTensors { get; }
    public bool FromStateDict { get; }
    /// <summary>Outputs of the classifier (1000 for ImageNet weights); 0 without a classifier.</summary>
    public long ImageNetClasses { get; }

    public static BackboneWeights Open(string architecture, string path)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(path);
        Onnx.ModelLibrary.EnsureEngineKnows();
        NativeMethods.Check(NativeMethods.ote_weights_open(architecture, Path.GetFullPath(path), out var handle));
        try
        {
            NativeMethods.Check(NativeMethods.ote_weights_summary(handle, out var summary));
            return new BackboneWeights(architecture, handle, summary);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Writes the weights file atomically (temp file, fsync, rename); Python's torch.load reads it too.</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        NativeMethods.Check(NativeMethods.ote_weights_save(_handle, Path.GetFullPath(path)));
    }

    /// <summary>Eval-mode forward of <c>{"input": x}</c> (N x 3 x H x W float, normalized) from
    /// <paramref name="inputPath"/>; writes <c>{"features", "logits"}</c> to <paramref name="outputPath"/>.
    /// Returns N.</summary>
    public long Forward(string inputPath, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(inputPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        NativeMethods.Check(NativeMethods.ote_weights_forward(_handle, Path.GetFullPath(inputPath),
            Path.GetFullPath(outputPath), out var n));
        return n;
    }

    public void Dispose() => _handle.Dispose();
}
