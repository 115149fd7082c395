using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Datasets;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Tests;

/// <summary>The input pipeline against the definitions in docs/engine.md ("Input pipeline"), computed here independently.</summary>
public sealed class InputPipelineTests : IDisposable
{
    private const int Size = 20;
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    private readonly TempDir _dir = new();
    private readonly PackedDataset _data;
    private readonly byte[] _pixels;
    private readonly int[] _all;

    public InputPipelineTests()
    {
        var path = TinyData.Create(_dir.File("tiny"), trainPerClass: 4, valPerClass: 1, size: Size, seed: 5);
        _data = PackedDataset.Open(path);
        _pixels = File.ReadAllBytes(Path.Combine(path, "images.u8"));
        _all = Enumerable.Range(0, _data.Count).ToArray();
    }

    public void Dispose()
    {
        _data.Dispose();
        _dir.Dispose();
    }

    private TorchTrainer Trainer(Normalization normalization, bool[]? augment = null, ulong seed = 11)
    {
        var trainer = TorchTrainer.Create(TinyData.Options(inputSize: Size));
        trainer.ConfigureInput(_data, _data.IndicesOf("train"), new InputSettings(normalization, augment ?? new bool[TinyData.Classes], seed));
        return trainer;
    }

    private float Pixel(int image, int row, int col) => _pixels[image * Size * Size + row * Size + col] / 255f;

    private static float At(float[] batch, int image, int channel, int row, int col) =>
        batch[((image * 3 + channel) * Size + row) * Size + col];

    [Fact]
    public void Backbone_uses_the_per_channel_mean_and_std_and_scaling_maps_to_0_1()
    {
        using var backbone = Trainer(Normalization.Backbone);
        using var scaling = Trainer(Normalization.Scaling);
        var b = backbone.PrepareBatch(_data, _all, augment: false);
        var s = scaling.PrepareBatch(_data, _all, augment: false);
        foreach (var i in _all)
            for (var c = 0; c < 3; c++)
                for (var r = 0; r < Size; r += 3)
                    for (var k = 0; k < Size; k += 3)
                    {
                        At(b, i, c, r, k).Should().BeApproximately((Pixel(i, r, k) - ImageNetMean[c]) / ImageNetStd[c], 1e-5f);
                        At(s, i, c, r, k).Should().BeApproximately(Pixel(i, r, k), 1e-6f);
                    }
    }

    [Fact]
    public void Zscore_uses_the_training_splits_pixel_mean_and_std()
    {
        var train = _data.IndicesOf("train");
        var values = train.SelectMany(i => Enumerable.Range(0, Size * Size).Select(p => _pixels[i * Size * Size + p] / 255.0)).ToArray();
        var mean = values.Average();
        var std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
        _data.PixelStatistics(train.ToArray()).Mean.Should().BeApproximately(mean, 1e-9);

        using var zscore = Trainer(Normalization.ZScore);
        var z = zscore.PrepareBatch(_data, _all, augment: false);
        foreach (var i in _all)
            for (var c = 0; c < 3; c++)
                At(z, i, c, 7, 11).Should().BeApproximately((float)((Pixel(i, 7, 11) - mean) / std), 1e-4f);
    }

    [Fact]
    public void Adaptive_windows_each_image_to_its_roi_percentiles_and_standardizes_by_the_roi()
    {
        using var adaptive = Trainer(Normalization.Adaptive);
        var a = adaptive.PrepareBatch(_data, _all, augment: false);
        const int lo = Size / 10, hi = Size - Size / 10;
        foreach (var i in _all)
        {
            var roi = new List<double>();
            for (var r = lo; r < hi; r++)
                for (var k = lo; k < hi; k++)
                    roi.Add(Pixel(i, r, k));
            var sorted = roi.Order().ToArray();
            double Quantile(double q)
            {
                var pos = (sorted.Length - 1) * q;
                var f = (int)Math.Floor(pos);
                return f + 1 < sorted.Length ? sorted[f] + (pos - f) * (sorted[f + 1] - sorted[f]) : sorted[f];
            }
            var pLo = Quantile(0.02);
            var span = Math.Max(Quantile(0.98) - pLo, 1.0 / 255);
            double Window(double v) => Math.Clamp((v - pLo) / span, 0, 1);
            var windowed = roi.Select(Window).ToArray();
            var mu = windowed.Average();
            var sigma = Math.Max(Math.Sqrt(windowed.Select(w => (w - mu) * (w - mu)).Average()), 1e-3);
            foreach (var (r, k) in new[] { (0, 0), (5, 9), (19, 3), (10, 10) })
                for (var c = 0; c < 3; c++)
                    At(a, i, c, r, k).Should().BeApproximately((float)((Window(Pixel(i, r, k)) - mu) / sigma), 2e-4f, $"image {i} ({r},{k})");
        }
    }

    [Fact]
    public void Augmentation_touches_only_marked_classes_and_is_deterministic_per_seed_epoch_and_position()
    {
        using var trainer = Trainer(Normalization.Scaling, augment: [false, true, false]);
        using var twin = Trainer(Normalization.Scaling, augment: [false, true, false]);
        using var otherSeed = Trainer(Normalization.Scaling, augment: [false, true, false], seed: 12);
        var plain = trainer.PrepareBatch(_data, _all, augment: false);

        trainer.BeginEpoch(3);
        twin.BeginEpoch(3);
        otherSeed.BeginEpoch(3);
        var first = trainer.PrepareBatch(_data, _all, augment: true, firstPosition: 40);
        twin.PrepareBatch(_data, _all, augment: true, firstPosition: 40).Should().Equal(first, "same (seed, epoch, position, image)");
        otherSeed.PrepareBatch(_data, _all, augment: true, firstPosition: 40).Should().NotEqual(first);
        trainer.PrepareBatch(_data, _all, augment: true, firstPosition: 41).Should().NotEqual(first, "another position draws anew");
        trainer.BeginEpoch(4);
        trainer.PrepareBatch(_data, _all, augment: true, firstPosition: 40).Should().NotEqual(first, "another epoch draws anew");

        var plane = 3 * Size * Size;
        foreach (var i in _all)
        {
            var same = first.AsSpan(i * plane, plane).SequenceEqual(plain.AsSpan(i * plane, plane));
            same.Should().Be(_data.Labels[i] != 1, $"image {i} of class {_data.Labels[i]}: only class 1 is augmented");
        }
    }

    [Fact]
    public void Without_augmented_classes_training_batches_equal_evaluation_batches()
    {
        using var trainer = Trainer(Normalization.Backbone);
        trainer.BeginEpoch(1);
        trainer.PrepareBatch(_data, _all, augment: true, firstPosition: 5)
            .Should().Equal(trainer.PrepareBatch(_data, _all, augment: false));
    }
}
