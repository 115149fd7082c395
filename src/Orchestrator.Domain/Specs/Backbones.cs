namespace Orchestrator.Domain.Specs;

/// <summary>Backbone architecture names a sweep spec may use; the engine implements each.</summary>
public static class Backbones
{
    public const string LightweightCnn = "lightweight-cnn";
    public const string MobileNetV2 = "mobilenet_v2";
    public const string DenseNet121 = "densenet121";
    public const string InceptionV3 = "inception_v3";
    public static readonly IReadOnlyList<string> Supported = [LightweightCnn, MobileNetV2, DenseNet121, InceptionV3];
}
