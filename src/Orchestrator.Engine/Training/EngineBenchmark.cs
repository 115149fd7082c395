using Orchestrator.Engine.Interop;

namespace Orchestrator.Engine.Training;

/// <summary>Throughput of the trainer's own passes on random data, and the process's peak resident memory.</summary>
public sealed record EngineBenchmarkResult(
    string Architecture,
    int Size,
    int Batch,
    int Threads,
    int Steps,
    double TrainAllImagesPerSecond,
    double TrainHeadImagesPerSecond,
    double InferenceImagesPerSecond,
    long PeakRssKib);

public static class EngineBenchmark
{
    /// <summary>Times <paramref name="steps"/> batches of each pass (all groups trainable, backbone frozen,
    /// evaluation), each after <paramref name="warmup"/> untimed batches, on this thread with
    /// <paramref name="threads"/> libtorch threads.</summary>
    public static EngineBenchmarkResult Run(string architecture, int size, int batch, int threads, int steps, int warmup = 1)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        EngineInfo.SetThreads(threads);
        Models.Onnx.ModelLibrary.EnsureEngineKnows();
        NativeMethods.Check(NativeMethods.ote_bench_engine(architecture, size, batch, steps, warmup, out var r));
        return new EngineBenchmarkResult(architecture, size, batch, threads, steps, r.TrainAllImagesPerSecond,
            r.TrainHeadImagesPerSecond, r.InferenceImagesPerSecond, r.PeakRssKib);
    }
}

/// <summary>Whole epochs (training, then validation) as a trial runs them, on random data whose two never-augmented
/// classes hold 70% of the images: the first epoch (which fills the feature cache) and the mean of the later ones.</summary>
public sealed record EpochBenchmarkResult(
    string Architecture,
    int Size,
    int Batch,
    int Threads,
    int TrainImages,
    int ValImages,
    int Unfrozen,
    bool FeatureCache,
    double FirstEpochSeconds,
    double LaterEpochSeconds,
    long LastEpochHits,
    long LastEpochMisses,
    IReadOnlyList<string> TrainableBackboneTensors)
{
    public static unsafe EpochBenchmarkResult Run(string architecture, int size, int batch, int threads, int train, int val,
        int unfrozen, bool featureCache, int epochs)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        EngineInfo.SetThreads(threads);
        var names = new byte[1 << 20];
        NativeMethods.BenchEpochNative r;
        Models.Onnx.ModelLibrary.EnsureEngineKnows();
        fixed (byte* n = names)
            NativeMethods.Check(NativeMethods.ote_bench_epochs(architecture, size, batch, train, val, unfrozen, featureCache ? 1 : 0,
                epochs, out r, n, names.Length));
        var text = System.Text.Encoding.UTF8.GetString(names, 0, Array.IndexOf(names, (byte)0));
        return new EpochBenchmarkResult(architecture, size, batch, threads, train, val, unfrozen, featureCache,
            r.FirstEpochSeconds, r.LaterEpochSeconds, r.Hits, r.Misses, text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
