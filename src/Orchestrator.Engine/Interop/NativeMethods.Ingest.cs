using System.Runtime.InteropServices;

namespace Orchestrator.Engine.Interop;

/// <summary>ote_image_info of orchestrator_engine.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeImageInfo
{
    public int Status;
    public int Width;
    public int Height;
    public int Bits;
    public int Channels;
}

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)]
    public static partial int ote_image_decode(byte* data, long length, int size, int intensity, byte* output,
        out NativeImageInfo info);

    [LibraryImport(Library)]
    public static partial int ote_trainer_set_input(TrainerHandle trainer, int normalization, float zscoreMean, float zscoreStd,
        byte* augmentClasses, int numClasses, ulong seed);

    [LibraryImport(Library)]
    public static partial int ote_trainer_set_epoch(TrainerHandle trainer, int epoch);

    [LibraryImport(Library)]
    public static partial int ote_trainer_prepare_batch(TrainerHandle trainer, DatasetHandle dataset, int* indices, long n,
        int augment, long firstPosition, float* output);

    [LibraryImport(Library)]
    public static partial int ote_dataset_pixel_stats(DatasetHandle dataset, int* indices, long n, out double mean, out double std);
}
