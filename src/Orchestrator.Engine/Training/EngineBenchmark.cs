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
        NativeMethods.Check(NativeMethods.ote_bench_engine(architecture, size, batch, steps, warmup, out var r));
        return new EngineBenchmarkResult(architecture, size, batch, threads, steps, r.TrainAllImagesPerSecond,
            r.TrainHeadImagesPerSecond, r.InferenceImagesPerSecond, r.PeakRssKib);
    }
}
