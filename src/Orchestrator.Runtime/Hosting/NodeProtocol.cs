// The operations actor's messages (NodeActor): records that cross the network (IWireMessage: WireSerializer, under the
// names WireMessages gives them).
using System.Text.Json.Serialization;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Wire;

namespace Orchestrator.Runtime.Hosting;

/// <summary>Drain (or undrain) the node at <c>Address</c> (every node hears it through ClusterClient's SendToAll; the
/// named one acts and answers with <see cref="NodeDrained"/>).</summary>
public sealed record DrainNode(string Address, bool Draining) : IWireMessage;

public sealed record NodeDrained(string Address, bool Draining, int Slots) : IWireMessage;

/// <summary>Answered with <see cref="ClusterView"/>: the cluster as the answering node sees it.</summary>
public sealed record GetClusterView : IWireMessage;

public sealed record ClusterView(
    string AnsweredBy,
    string? Leader,
    IReadOnlyDictionary<string, string?> RoleLeaders,
    string? Coordinator,
    IReadOnlyList<MemberView> Members,
    int Pending,
    int Running) : IWireMessage;

public sealed record MemberView(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable, int Slots, int Busy, int Draining,
    string? AppVersion = null, double? AgeSeconds = null);

/// <summary>What a node says of itself to the node that builds a <see cref="ClusterView"/>.</summary>
public sealed record GetNodeInfo : IWireMessage;

public sealed record NodeInfo(string Address, string AppVersion, DateTimeOffset StartedAt) : IWireMessage;

/// <summary>A membership command to the cluster, through the node that receives it: leave or down a member, or down
/// every unreachable one (<c>Address</c> null).</summary>
public sealed record MemberCommand(MembershipVerb Verb, string? Address) : IWireMessage;

/// <summary>What a <see cref="MemberCommand"/> does to a member; spelled as the CLI's subcommand (in signed command
/// bodies and JSON output).</summary>
[JsonConverter(typeof(SpecSpellingJsonConverter<MembershipVerb>))]
public enum MembershipVerb
{
    [JsonStringEnumMemberName("leave")] Leave,
    [JsonStringEnumMemberName("down")] Down,
}

/// <summary>The answer to a <see cref="MemberCommand"/>: the members it applied to, or why it did nothing.</summary>
public sealed record MemberCommandResult(MembershipVerb Verb, IReadOnlyList<string> Members, string? Refused) : IWireMessage;

/// <summary>The actor tree of the node at <c>Node</c> (SendToAll; the named one answers; null: the node that receives
/// it), from <c>Path</c> down <c>Depth</c> levels.</summary>
public sealed record GetActorTree(string? Node, string Path, int Depth) : IWireMessage;

public sealed record ActorTree(string Node, IReadOnlyList<ActorEntry> Actors) : IWireMessage;

/// <summary>The trials running anywhere in the cluster, as their actors see them now (one node gathers every member's
/// <see cref="GetLocalTrials"/>; <c>Unanswered</c>: members that did not answer within a second).</summary>
public sealed record GetLiveTrials : IWireMessage;

public sealed record GetLocalTrials : IWireMessage;

public sealed record LiveTrials(IReadOnlyList<LiveTrial> Trials, IReadOnlyList<string> Unanswered) : IWireMessage;

/// <summary>A running trial as its actor sees it: <c>Epoch</c> is the one in training (or the last journaled).</summary>
public sealed record LiveTrial(TrialId TrialId, string Node, string Slot, string Backbone, string Phase, int Epoch, bool Training,
    int MaxEpochs, int Unfrozen, int Groups, int PatienceCounter, int Patience, int Attempt);

/// <summary>One actor; for a trial's actors, its trial, backbone and state.</summary>
public sealed record ActorEntry(string Path, TrialId? Trial, string? Backbone, string? State);

/// <summary>The receiving node joins the cluster of the seed at <c>Seed</c> (host:port or a full address), waiting at
/// most <c>WaitSeconds</c> to be up: for a node whose own seeds never answered (a node joins one cluster, once).</summary>
public sealed record JoinCluster(string Seed, double WaitSeconds) : IWireMessage;

/// <summary><c>Outcome</c>: "joined", "member" (already in the seed's cluster), "joining" (asked, not up within the wait);
/// or <c>Refused</c> says why nothing was done.</summary>
public sealed record JoinResult(string Node, string Seed, string Outcome, int Members, string? Refused) : IWireMessage;
