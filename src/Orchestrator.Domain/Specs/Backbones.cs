namespace Orchestrator.Domain.Specs;

/// <summary>A backbone imported into this installation (`model import --onnx`): what a spec needs to know of it.</summary>
public sealed record ImportedBackbone(string Name, int Groups, int DefaultInputSize, int MinInputSize);

/// <summary>Backbone architecture names a sweep spec may use; the engine implements each. Besides the built-in ones,
/// the backbones imported into this installation, registered when the process starts (the spec parser is static and
/// what is installed is a property of the machine, like the engine itself).</summary>
public static class Backbones
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ImportedBackbone> ImportedByName = new(StringComparer.Ordinal);

    /// <summary>Adds (or replaces) an imported backbone. A built-in name is refused.</summary>
    public static void Register(ImportedBackbone backbone)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (Supported.Contains(backbone.Name))
            throw new ArgumentException($"'{backbone.Name}' is a built-in backbone", nameof(backbone));
        ImportedByName[backbone.Name] = backbone;
    }

    /// <summary>The imported backbones registered in this process, by name.</summary>
    public static IReadOnlyList<ImportedBackbone> Imported => [.. ImportedByName.Values.OrderBy(b => b.Name, StringComparer.Ordinal)];

    /// <summary>Every backbone a spec may name: the built-in ones, then the imported ones.</summary>
    public static IReadOnlyList<string> Known => [.. Supported, .. Imported.Select(b => b.Name)];

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
        _ when ImportedByName.TryGetValue(backbone, out var imported) => imported.Groups,
        _ => throw new ArgumentException($"unknown backbone '{backbone}'", nameof(backbone)),
    };

    /// <summary>The input size each backbone's ImageNet weights were trained at (timm and torchvision):
    /// 299 for Xception and InceptionV3, 384 for EfficientNetV2-S, 224 for the rest (the lightweight CNN included).</summary>
    public static int DefaultInputSize(string backbone) => backbone switch
    {
        Xception or InceptionV3 => 299,
        EfficientNetV2S => 384,
        _ when ImportedByName.TryGetValue(backbone, out var imported) => imported.DefaultInputSize,
        _ => 224,
    };

    /// <summary>The smallest input the architecture accepts, as the engine registers it (`model architectures`):
    /// InceptionV3's stem needs 75 pixels; VGG16's fifth max-pool and DenseNet121's third transition need 32.</summary>
    public static int MinInputSize(string backbone) => backbone switch
    {
        InceptionV3 => 75,
        Vgg16 or DenseNet121 => 32,
        _ when ImportedByName.TryGetValue(backbone, out var imported) => imported.MinInputSize,
        _ => 16,
    };
}
