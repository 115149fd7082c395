namespace Orchestrator.Engine.Models.Onnx;

/// <summary>
/// The normalization a Caffe/CNTK-style preprocessing graph applies, as the engine's per-channel mean and std of pixels
/// in [0, 1]: ML.NET's ResNetPreprocess.onnx takes RGB pixels in [0, 255], reorders them to BGR (Split, Concat) and
/// subtracts a mean image (Sub), without scaling. So std is 1/255 and each channel's mean is its mean image's average
/// over the pixels, divided by 255, in the network's (BGR) channel order. The mean image varies by a few grey levels
/// across the image; the engine's per-channel mean is its average.
/// </summary>
public static class MeanImagePreprocessing
{
    public static (float[] Mean, float[] Std) Read(string path)
    {
        var graph = OnnxGraph.Load(path);
        var sub = graph.Nodes.SingleOrDefault(n => n.Op == "Sub")
            ?? throw new ModelImportException($"{path}: expected one Sub node (input minus mean image)");
        if (graph.Nodes.Any(n => n.Op is not ("Split" or "Concat" or "Sub")))
            throw new ModelImportException($"{path}: expected only Split, Concat and Sub nodes");
        var image = sub.Inputs.Select(i => graph.Constants.GetValueOrDefault(i)).SingleOrDefault(c => c is not null)
            ?? throw new ModelImportException($"{path}: the Sub node has no constant mean image");
        if (image.Dims is not [1, 3, var h, var w])
            throw new ModelImportException($"{path}: the mean image is {string.Join("x", image.Dims)}, expected 1 x 3 x H x W");
        var plane = (int)(h * w);
        var mean = Enumerable.Range(0, 3).Select(c => (float)(image.Values.AsSpan(c * plane, plane).ToArray().Average(v => (double)v) / 255)).ToArray();
        return (mean, [1f / 255, 1f / 255, 1f / 255]);
    }
}
