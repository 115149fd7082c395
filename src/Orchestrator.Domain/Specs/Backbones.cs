namespace Orchestrator.Domain.Specs;

/// <summary>Backbone architecture names a sweep spec may use; the engine implements each.</summary>
public static class Backbones
{
    public const string LightweightCnn = "lightweight-cnn";
    public const string MobileNetV2 = "mobilenet_v2";
    public const string ResNet50 = "resnet50";
    public const string Vgg16 = "vgg16";
    public const string EfficientNetV2S = "efficientnet_v2_s";
    public const string Xception = "xception";
    public static readonly IReadOnlyList<string> Supported = [LightweightCnn, MobileNetV2, ResNet50, Vgg16, EfficientNetV2S, Xception];
}
