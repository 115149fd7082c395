using System.Runtime.CompilerServices;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

/// <summary>These tests run as in an installation where the bundled ResNet-18 is imported (`model pretrained`, or the
/// demo's first use), as every process of it registers at start: before any test, so that what a test reads of
/// <see cref="Backbones.Known"/> is the same when its data is made and when it runs.</summary>
internal static class InstalledBackbones
{
    [ModuleInitializer]
    internal static void RegisterThePretrainedResNet18() =>
        Backbones.Register(new ImportedBackbone("resnet18-imagenet", 5, 224, 24));
}
