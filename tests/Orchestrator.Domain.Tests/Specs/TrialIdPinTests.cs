using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Specs;

/// <summary>Trial ids of existing sweeps must never change: the canonical JSON and ids below were computed when the
/// spec choices were still strings, and every spelling, field order and omission rule must keep giving them.</summary>
public class TrialIdPinTests
{
    private static readonly string Defaults = Sweep("pin-a", "{ path: data/pin }", "mobilenet_v2", "dynamic", 7);

    private static readonly string FixedSgdAlgorithm1 =
        Sweep("pin-b", "{ path: data/pin, synthesize: { images: 70, size: 32, seed: 3 } }", "lightweight-cnn", "fixed-top-n", 2) + """
        optimizer: sgd
        stop: algorithm-1
        maxRounds: 4
        classBalance: loss
        batchSize: 8
        inputSize: 64
        hyperparameters: { learningRate: [0.01], fixedTopN: [2], epochs: [30], normalization: [zscore] }
        """;

    private static readonly string InputPipeline = Sweep("pin-c", "{ path: data/pin }", "resnet50", "dynamic", 1) + """
        classBalance: both
        weights: { resnet50: weights/resnet50.pt }
        augmentation: minority
        minorityShare: 0.05
        hyperparameters: { learningRate: [0.0003], patience: [3], step: [2], decay: [0.2], epochs: [50], minDelta: 0.001, normalization: [adaptive, scaling] }
        """;

    private static readonly (string Yaml, int Index, string Id, string Json)[] Cases =
    [
        (
            Defaults, 0, "t-05fe301e8d84",
            """{"sweep":"pin-a","backbone":"mobilenet_v2","strategy":"dynamic","learningRate":0.001,"patience":5,"step":3,"decay":0.1,"maxEpochs":100,"fixedTopN":0,"minDelta":0,"stopPolicy":"plateau-after-full-unfreeze","maxRounds":10,"optimizer":"adam","batchSize":32,"inputSize":224,"seed":7,"classBalance":"sampler","data":{"path":"data/pin","synthesize":null}}"""
        ),
        (
            FixedSgdAlgorithm1, 0, "t-ea492cbc8c88",
            """{"sweep":"pin-b","backbone":"lightweight-cnn","strategy":"fixed-top-n","learningRate":0.01,"patience":5,"step":0,"decay":0,"maxEpochs":30,"fixedTopN":2,"minDelta":0,"stopPolicy":"algorithm-1","maxRounds":4,"optimizer":"sgd","batchSize":8,"inputSize":64,"seed":2,"classBalance":"loss","normalization":"zscore","data":{"path":"data/pin","synthesize":{"images":70,"size":32,"seed":3}}}"""
        ),
        (
            InputPipeline, 0, "t-a92077412931",
            """{"sweep":"pin-c","backbone":"resnet50","strategy":"dynamic","learningRate":0.0003,"patience":3,"step":2,"decay":0.2,"maxEpochs":50,"fixedTopN":0,"minDelta":0.001,"stopPolicy":"plateau-after-full-unfreeze","maxRounds":10,"optimizer":"adam","batchSize":32,"inputSize":224,"seed":1,"classBalance":"both","weights":"weights/resnet50.pt","normalization":"adaptive","augmentation":"minority","minorityShare":0.05,"data":{"path":"data/pin","synthesize":null}}"""
        ),
        (
            InputPipeline, 1, "t-f6278618a373",
            """{"sweep":"pin-c","backbone":"resnet50","strategy":"dynamic","learningRate":0.0003,"patience":3,"step":2,"decay":0.2,"maxEpochs":50,"fixedTopN":0,"minDelta":0.001,"stopPolicy":"plateau-after-full-unfreeze","maxRounds":10,"optimizer":"adam","batchSize":32,"inputSize":224,"seed":1,"classBalance":"both","weights":"weights/resnet50.pt","normalization":"scaling","augmentation":"minority","minorityShare":0.05,"data":{"path":"data/pin","synthesize":null}}"""
        ),
    ];

    public static IEnumerable<object[]> Expanded => Cases.Select(c => new object[] { c.Yaml, c.Index, c.Id, c.Json });

    public static IEnumerable<object[]> Stored => Cases.Select(c => new object[] { c.Id, c.Json });

    [Theory]
    [MemberData(nameof(Expanded))]
    public void Expanded_trials_keep_their_canonical_json_and_id(string yaml, int index, string id, string json)
    {
        var trial = SweepGrid.Expand(SweepSpecParser.Parse(yaml))[index];

        trial.CanonicalJson.Should().Be(json);
        trial.Id.Should().Be(new TrialId(id));
        Ids.TrialId(trial.Spec).Should().Be(new TrialId(id));
    }

    [Theory]
    [MemberData(nameof(Stored))]
    public void A_stored_spec_reads_back_to_the_same_json_and_id(string id, string json)
    {
        var spec = TrialSpecJson.Deserialize(json);

        TrialSpecJson.Canonical(spec).Should().Be(json);
        Ids.TrialId(spec).Should().Be(new TrialId(id));
    }

    private static string Sweep(string name, string data, string backbone, string strategy, int seed) =>
        $"name: {name}\ndata: {data}\nbackbones: [{backbone}]\nstrategies: [{strategy}]\nseeds: [{seed}]\n";

    [Fact]
    public void A_spec_built_from_the_enums_has_the_pinned_id()
    {
        var spec = new TrialSpec("pin-b", Backbones.LightweightCnn, Strategy.FixedTopN, 0.01, 5, 0, 0, 30, 2, 0,
            StopPolicy.Algorithm1, 4, Optimizer.Sgd, 8, 64, 2, new DataSpec("data/pin", new SynthesizeSpec(70, 32, 3)),
            ClassBalance.Loss, Normalization: Normalization.ZScore);

        Ids.TrialId(spec).Value.Should().Be("t-ea492cbc8c88");
    }
}
