using System.Runtime.InteropServices;

namespace Orchestrator.Engine.Interop;

/// <summary>Bindings of the export for deployment (native/src/c_api_export.cpp).</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)]
    public static partial int ote_trainer_export_graph(TrainerHandle trainer, out nint graph, out nint tensors);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_torchvision_refusal(string arch, int inputSize, byte* output, int capacity);

    [LibraryImport(Library)]
    public static partial int ote_trainer_export_state_dict(TrainerHandle trainer,
        delegate* unmanaged[Cdecl]<byte*, long, nint, int> write, nint user);

    [LibraryImport(Library)]
    public static partial int ote_trainer_logits(TrainerHandle trainer, float* input, int n, int c, int h, int w, float* output);
}
