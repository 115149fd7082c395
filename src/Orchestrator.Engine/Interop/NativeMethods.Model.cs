using System.Runtime.InteropServices;

namespace Orchestrator.Engine.Interop;

/// <summary>Bindings of the architecture, weights and benchmark calls (native/src/c_api_model.cpp).</summary>
internal static unsafe partial class NativeMethods
{
    [StructLayout(LayoutKind.Sequential)]
    public struct ArchitectureInfoNative
    {
        public int Groups;
        public int DefaultSize;
        public int MinSize;
        public int HasReferenceClassifier;
        public fixed float Mean[3];
        public fixed float Std[3];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct WeightsSummaryNative
    {
        public int BackboneTensors;
        public int ClassifierTensors;
        public int IgnoredTensors;
        public int FromStateDict;
        public long Classes;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct BenchResultNative
    {
        public double TrainAllImagesPerSecond;
        public double TrainHeadImagesPerSecond;
        public double InferenceImagesPerSecond;
        public long PeakRssKib;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct BenchEpochNative
    {
        public double FirstEpochSeconds;
        public double LaterEpochSeconds;
        public long Hits;
        public long Misses;
    }

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_bench_epochs(string arch, int size, int batch, int train, int val, int unfrozen, int cache,
        int epochs, out BenchEpochNative result, byte* trainable, int capacity);

    [LibraryImport(Library)]
    public static partial int ote_architecture_count(out int count);

    [LibraryImport(Library)]
    public static partial int ote_architecture_name(int index, out nint name);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_architecture_info(string arch, out ArchitectureInfoNative info);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_weights_open(string arch, string path, out WeightsHandle handle);

    [LibraryImport(Library)]
    public static partial void ote_weights_free(nint weights);

    [LibraryImport(Library)]
    public static partial int ote_weights_summary(WeightsHandle weights, out WeightsSummaryNative summary);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_weights_save(WeightsHandle weights, string path);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_weights_forward(WeightsHandle weights, string inputPath, string outputPath, out long n);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ote_bench_engine(string arch, int size, int batch, int steps, int warmup,
        out BenchResultNative result);
}
