using System.Globalization;
using Orchestrator.Domain.Events;

namespace Orchestrator.Cli.Output;

/// <summary>One human line per journaled epoch: the figures and the decisions taken.</summary>
public static class EpochLine
{
    public static string Describe(IReadOnlyList<TrialEvent> events)
    {
        var parts = new List<string>();
        foreach (var e in events)
        {
            switch (e)
            {
                case EpochCompleted c:
                    parts.Add(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {c.Epoch}: train {c.TrainLoss:F4} val {c.ValLoss:F4} acc {c.ValAccuracy:P1} F1 {c.ValMacroF1:F3} m={c.UnfrozenGroups} lr={c.LearningRate:G4} patience={c.PatienceCounter} ({c.Seconds:F1}s{Cache(c)})"));
                    break;
                case BestImproved:
                    parts.Add("best");
                    break;
                case GroupsUnfrozen u:
                    parts.Add(string.Create(CultureInfo.InvariantCulture, $"unfreeze {u.From}->{u.To}, lr {u.LearningRate:G4}"));
                    break;
                case BestWeightsRestored r:
                    parts.Add($"restored epoch {r.BestEpoch}");
                    break;
                case TrainingStopped s:
                    parts.Add($"stopped: {s.Reason.ToSpecString()}");
                    break;
            }
        }
        return string.Join("; ", parts);
    }

    // Only while some groups are frozen: then every image is a hit or a miss.
    private static string Cache(EpochCompleted c) =>
        c.FeatureCacheHits + c.FeatureCacheMisses == 0 ? ""
            : string.Create(CultureInfo.InvariantCulture, $", frozen layers cached for {c.FeatureCacheHits} of {c.FeatureCacheHits + c.FeatureCacheMisses} images");
}
