using System.CommandLine;
using Orchestrator.Runtime.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>What `sweep status` and `trial show` ask the live cluster (the trials' actors, through one node); null
/// when no contact point is there, and the commands then answer from the journal and say so in one line.</summary>
public static class LiveTrialsQuery
{
    public static async Task<LiveTrials?> TryAskAsync(ParseResult result, ClusterClientOptions cluster, CancellationToken ct)
    {
        var contacts = CommonOptions.ResolveAddresses(result, cluster.Contacts);
        // No listener at any contact point: no need to wait out --timeout for the client to give up.
        if (!await OperationsClient.AnyListeningAsync(contacts, ct)) return null;
        try
        {
            return await cluster.AskAsync<LiveTrials>(result, (c, wait) => c.AskNodeAsync(new GetLiveTrials(), wait, ct));
        }
        catch (ClusterUnreachableException)
        {
            return null;
        }
    }

    /// <summary>The line that says the answer comes from the journal only.</summary>
    public static string Fallback(ParseResult result, ClusterClientOptions cluster) =>
        $"note: no cluster answered at {string.Join(", ", CommonOptions.ResolveAddresses(result, cluster.Contacts))}: shown from the journal";

    public static string Describe(LiveTrial t) =>
        $"{t.TrialId} on {SeedAddress.HostPortOf(t.Node)} {t.Slot}: epoch {t.Epoch} of {t.MaxEpochs}" +
        $"{(t.Training ? " (training)" : "")}, m={t.Unfrozen}/{t.Groups}, patience {t.PatienceCounter}/{t.Patience}, attempt {t.Attempt}";

    public static object Json(LiveTrial t) => new
    {
        trialId = t.TrialId, node = t.Node, slot = t.Slot, backbone = t.Backbone, phase = t.Phase, epoch = t.Epoch, training = t.Training,
        maxEpochs = t.MaxEpochs, unfrozen = t.Unfrozen, groups = t.Groups, patienceCounter = t.PatienceCounter, patience = t.Patience,
        attempt = t.Attempt,
    };
}
