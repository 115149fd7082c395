using System.Text.Json.Serialization;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Search;

[JsonConverter(typeof(SpecSpellingJsonConverter<PruningKind>))]
public enum PruningKind
{
    /// <summary>Successive halving inside each (backbone, strategy) cell, decided as rung results arrive
    /// (<see cref="Coordination.SuccessiveHalving"/>).</summary>
    [JsonStringEnumMemberName("asha")] Asha,
}

/// <summary>`pruning: { kind: asha, reduction: 3, minEpochs: 2 }`: every configuration of a cell trains
/// <c>MinEpochs</c> epochs, the best 1/<c>Reduction</c> of them go on to <c>MinEpochs</c> x <c>Reduction</c>, and so
/// on until the budget.</summary>
public sealed record PruningSpec(PruningKind Kind, int Reduction, int MinEpochs)
{
    /// <summary>The epochs at which a cell's configurations are compared: MinEpochs x Reduction^k, each below
    /// <paramref name="budget"/>. The budget itself is no rung: the last survivors train to their own end.</summary>
    public IReadOnlyList<int> RungEpochs(int budget)
    {
        var rungs = new List<int>();
        for (long epochs = MinEpochs; epochs < budget; epochs *= Reduction) rungs.Add((int)epochs);
        return rungs;
    }
}
