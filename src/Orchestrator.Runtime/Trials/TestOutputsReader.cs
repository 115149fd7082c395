using Orchestrator.Domain.Events;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Trials;

/// <summary>Puts a completed trial's per-image test outputs back into its <see cref="TrialCompleted"/> for the readers
/// that need them (reports: McNemar, bootstrap, calibration): loaded from the file the event names (or the store's
/// blob), verified against its SHA-256. Journals from before the file carry them inline and pass unchanged.</summary>
public sealed class TestOutputsReader(string artifactRoot, IArtifactBlobs? blobs = null)
{
    public static TestOutputsReader For(StoreLocation location, ISweepCatalogue store)
    {
        ArgumentNullException.ThrowIfNull(location);
        return new TestOutputsReader(location.ArtifactRoot, location.CheckpointsInStore ? store as IArtifactBlobs : null);
    }

    /// <summary>The events with the outputs inline in their <see cref="TrialCompleted"/>. A file that is missing or
    /// does not hash to what the journal recorded leaves the result without them; <c>Problem</c> says why.</summary>
    public async Task<(IReadOnlyList<TrialEvent> Events, string? Problem)> InlineAsync(string trialId, IReadOnlyList<TrialEvent> events,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(events);
        var at = events.Count - 1;
        while (at >= 0 && events[at] is not TrialCompleted) at--;
        if (at < 0 || events[at] is not TrialCompleted { TestOutputs: { } file } completed) return (events, null);
        try
        {
            var outputs = await new TrialArtifacts(artifactRoot, trialId, blobs).ReadTestOutputsAsync(file, ct).ConfigureAwait(false);
            var inlined = events.ToArray();
            inlined[at] = completed.WithOutputs(outputs);
            return (inlined, null);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            return (events, $"{trialId}: test outputs {file.File} unusable ({ex.Message}); its per-image statistics are left out");
        }
    }
}
