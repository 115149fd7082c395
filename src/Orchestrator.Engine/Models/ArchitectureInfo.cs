using System.Runtime.InteropServices;
using Orchestrator.Engine.Interop;

namespace Orchestrator.Engine.Models;

/// <summary>
/// What the engine knows of one backbone architecture: its layer groups (L), the input its pretrained weights
/// expect (side length, per-channel mean and std of the normalization), the smallest input it accepts, and whether
/// its reference implementation has an ImageNet classifier that <c>model import</c> keeps.
/// </summary>
public sealed record ArchitectureInfo(
    string Name,
    int Groups,
    int DefaultInputSize,
    int MinInputSize,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    bool HasReferenceClassifier)
{
    /// <summary>Throws <see cref="EngineException"/> (InvalidInput) naming the supported architectures.</summary>
    public static unsafe ArchitectureInfo Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Onnx.ModelLibrary.EnsureEngineKnows();
        NativeMethods.Check(NativeMethods.ote_architecture_info(name, out var info));
        return new ArchitectureInfo(name, info.Groups, info.DefaultSize, info.MinSize,
            [info.Mean[0], info.Mean[1], info.Mean[2]], [info.Std[0], info.Std[1], info.Std[2]],
            info.HasReferenceClassifier != 0);
    }

    /// <summary>Every registered architecture, by name.</summary>
    public static IReadOnlyList<ArchitectureInfo> All()
    {
        Onnx.ModelLibrary.EnsureEngineKnows();
        NativeMethods.Check(NativeMethods.ote_architecture_count(out var count));
        var all = new List<ArchitectureInfo>(count);
        for (var i = 0; i < count; i++)
        {
            NativeMethods.Check(NativeMethods.ote_architecture_name(i, out var name));
            all.Add(Get(Marshal.PtrToStringUTF8(name)!));
        }
        return all;
    }
}
