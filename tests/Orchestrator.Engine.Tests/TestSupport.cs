using Orchestrator.Domain.Data;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

// libtorch's thread pool is process-wide; parallel test classes would only fight over the two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Orchestrator.Engine.Tests;

/// <summary>Builds tiny packed datasets of easily separable patterns: horizontal stripes, vertical stripes, flat.</summary>
internal static class TinyData
{
    public const int Classes = 3;

    /// <param name="noise">Every pixel drawn uniformly instead of the class patterns: images that keep every BatchNorm
    /// channel of a deep net busy (the export round trips estimate BatchNorm statistics from them).</param>
    public static string Create(string directory, int trainPerClass, int valPerClass, int size, int seed, bool noise = false)
    {
        var rng = new Random(seed);
        var items = new List<ManifestItem>();
        var pixels = new List<byte[]>();
        foreach (var (split, perClass) in new[] { (Splits.Train, trainPerClass), (Splits.Validation, valPerClass) })
            for (var i = 0; i < perClass; i++)
                for (var c = 0; c < Classes; c++)
                {
                    items.Add(new ManifestItem(items.Count, c, $"p{items.Count}", split, $"synthetic-{items.Count}"));
                    pixels.Add(noise ? Noise(size, rng) : Pattern(c, size, rng));
                }

        Directory.CreateDirectory(directory);
        using (var images = System.IO.File.Create(System.IO.Path.Combine(directory, "images.u8")))
            foreach (var image in pixels) images.Write(image);
        var manifest = new DatasetManifest(DatasetManifest.FormatName, DatasetManifest.CurrentVersion, Synthetic: true,
            size, size, "images.u8", ["horizontal", "vertical", "flat"], items, "test", "engine-tests");
        System.IO.File.WriteAllText(System.IO.Path.Combine(directory, DatasetManifest.FileName), ManifestJson.Serialize(manifest));
        return directory;
    }

    private static byte[] Noise(int size, Random rng)
    {
        var image = new byte[size * size];
        rng.NextBytes(image);
        return image;
    }

    private static byte[] Pattern(int cls, int size, Random rng)
    {
        var image = new byte[size * size];
        var phase = rng.Next(4);
        var level = rng.Next(60, 200);
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
            {
                var on = cls switch
                {
                    0 => (y + phase) / 2 % 2 == 0,
                    1 => (x + phase) / 2 % 2 == 0,
                    _ => false,
                };
                var v = cls == 2 ? level : on ? 220 : 35;
                image[y * size + x] = (byte)Math.Clamp(v + rng.Next(-20, 21), 0, 255);
            }
        return image;
    }

    public static float[] BalancedWeights => [1f, 1f, 1f];

    public static TrainerOptions Options(string arch = "lightweight-cnn", int inputSize = 32, ulong seed = 7,
        Optimizer optimizer = Optimizer.Adam, double lr = 1e-3) =>
        new(arch, Classes, inputSize, optimizer, lr, seed, Threads: 2);
}
