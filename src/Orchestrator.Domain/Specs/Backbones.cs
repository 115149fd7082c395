namespace Orchestrator.Domain.Specs;

/// <summary>Backbone architecture names a sweep spec may use; the engine implements each.</summary>
public static class Backbones
{
    public const string LightweightCnn = "lightweight-cnn";
    public const string MobileNetV2 = "mobilenet_v2";
    public const string Xception = "xception";
    public const string DenseNet121 = "densenet121";
    public const string EfficientNetV2S = "efficientnet_v2_s";
    public const string InceptionV3 = "inception_v3";
    public const string ResNet50 = "resnet50";
    public const string Vgg16 = "vgg16";

    /// <summary>The preprint's lightweight baseline, then the paper's seven in its order.</summary>
    public static readonly IReadOnlyList<string> Supported =
        [LightweightCnn, Xception, DenseNet121, EfficientNetV2S, InceptionV3, MobileNetV2, ResNet50, Vgg16];

    /// <summary>The paper's seven, in its order.</summary>
    public static readonly IReadOnlyList<string> Paper =
        [Xception, DenseNet121, EfficientNetV2S, InceptionV3, MobileNetV2, ResNet50, Vgg16];

    /// <summary>The backbone's layer groups L, as the engine cuts it (docs/engine.md, "Backbones"; an engine test pins each
    /// against the engine), so that a spec's group indices are checked before anything is stored.</summary>
    public static int GroupCount(string backbone) => backbone switch
    {
        LightweightCnn => 4,
        MobileNetV2 => 7,
        DenseNet121 or ResNet50 or Xception => 8,
        EfficientNetV2S => 10,
        InceptionV3 => 11,
        Vgg16 => 13,
        _ => throw new ArgumentException($"unknown backbone '{backbone}'", nameof(backbone)),
    };

    /// <summary>The input size each backbone's ImageNet weights were trained at (timm and torchvision):
    /// 299 for Xception and InceptionV3, 384 for EfficientNetV2-S, 224 for the rest (the lightweight CNN included).</summary>
    public static int DefaultInputSize(string backbone) => backbone switch
    {
        Xception or InceptionV3 => 299,
        EfficientNetV2S => 384,
        _ => 224,
    };

    /// <summary>The smallest input the architecture accepts, as the engine registers it (`model architectures`):
    /// InceptionV3's stem needs 75 pixels; VGG16's fifth max-pool and DenseNet121's third transition need 32.</summary>
    public static int MinInputSize(string backbone) => backbone switch
    {
        InceptionV3 => 75,
        Vgg16 or DenseNet121 => 32,
        _ => 16,
    };
}
