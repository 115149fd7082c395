using Akka.Actor;
using Akka.Cluster;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Slots;
using Orchestrator.Runtime.Trials;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// This node's operations actor at <c>/user/node</c>: what the CLI asks of the running cluster (not the database) and
/// tells it to do: the cluster view (each member says its version and age), leave and down, drain, join, the actor
/// tree, the trials running on every node. Not registered with the ClusterClient receptionist: the CLI reaches its
/// queries through <see cref="QueryEndpoint"/> and its commands through <see cref="ControlFacade"/>; a command that
/// changes anything is taken only from an actor of this node (the facade), never straight from the network.
/// </summary>
public sealed class NodeActor : ReceiveActor
{
    public const string Name = "node";

    private readonly IActorRef _coordinator;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly List<IActorRef> _slots = [];
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private bool _draining;

    /// <summary>The orchestrator's version, as every node reports it.</summary>
    public static string AppVersion { get; } =
        typeof(NodeActor).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? typeof(NodeActor).Assembly.GetName().Version?.ToString() ?? "unknown";

    public NodeActor(IActorRef coordinator)
    {
        _coordinator = coordinator;
        Receive<object>(message => IsCommand(message) && !Sender.Path.Address.HasLocalScope, message =>
            Sender.Tell(new ControlRefused($"{message.GetType().Name}: commands reach a node through its /user/{ControlFacade.Name}, signed")));
        Receive<AddSlot>(add =>
        {
            _slots.Add(add.Slot);
            Context.Watch(add.Slot);
            if (_draining) add.Slot.Tell(new SetDraining(true));
        });
        Receive<Terminated>(t => _slots.Remove(t.ActorRef));
        Receive<DrainNode>(drain =>
        {
            if (!SameNode(drain.Address)) return;
            _draining = drain.Draining;
            foreach (var slot in _slots) slot.Tell(new SetDraining(drain.Draining));
            Sender.Tell(new NodeDrained(_cluster.SelfAddress.ToString(), drain.Draining, _slots.Count));
        });
        // The queries below wait for other actors' answers off this actor's thread and pipe the result back, so that
        // this actor keeps answering meanwhile (the other nodes' GetNodeInfo, its own Identify).
        Receive<GetClusterView>(_ => ViewAsync(Context.System).PipeTo(Sender));
        Receive<GetNodeInfo>(_ => Sender.Tell(Info));
        Receive<MemberCommand>(command => Sender.Tell(Apply(command)));
        Receive<JoinCluster>(join =>
        {
            var (seed, refused) = JoinOrRefuse(join.Seed);
            if (refused is not null) Sender.Tell(refused);
            else UpWithinAsync(seed!, TimeSpan.FromSeconds(Math.Clamp(join.WaitSeconds, 1, 300))).PipeTo(Sender);
        });
        Receive<GetLocalTrials>(_ => LocalTrialsAsync(_slots.ToList(), _cluster.SelfAddress.ToString()).PipeTo(Sender));
        Receive<GetLiveTrials>(_ => LiveTrialsAsync(Context.System).PipeTo(Sender));
        Receive<GetActorTree>(query =>
        {
            if (query.Node is not null && !SameNode(query.Node)) return;
            var collectors = Enumerable.Range(1, Math.Max(1, query.Depth)).Select(level =>
            {
                var collector = Context.ActorOf(Akka.Actor.Props.Create(() => new IdentityCollector(TimeSpan.FromMilliseconds(500))));
                Context.ActorSelection(query.Path.TrimEnd('/') + string.Concat(Enumerable.Repeat("/*", level))).Tell(new Identify(level), collector);
                return collector;
            }).ToList();
            ActorTreeAsync(collectors, _slots.ToList()).PipeTo(Sender);
        });
    }

    private static bool IsCommand(object message) => message is AddSlot or DrainNode or MemberCommand or JoinCluster;

    private NodeInfo Info => new(_cluster.SelfAddress.ToString(), AppVersion, _startedAt);

    private static async Task<LiveTrials> LocalTrialsAsync(IReadOnlyList<IActorRef> slots, string node)
    {
        var reports = await Task.WhenAll(slots.Select(async slot =>
        {
            try
            {
                return (Slot: slot, Report: await slot.Ask<TrialStatusReport>(new GetTrialStatus(), TimeSpan.FromSeconds(2)));
            }
            catch (Exception ex) when (ex is AskTimeoutException or InvalidOperationException or TaskCanceledException)
            {
                return (Slot: slot, Report: (TrialStatusReport?)null); // idle, or between trials
            }
        }));
        var live = reports.Where(r => r.Report is not null).Select(r =>
        {
            var (report, state) = (r.Report!, r.Report!.Journaled);
            return new LiveTrial(report.TrialId, node, r.Slot.Path.Name, state.Backbone, state.Phase.ToString().ToLowerInvariant(),
                report.TrainingEpoch > 0 ? report.TrainingEpoch : state.EpochsDone, report.TrainingEpoch > 0, state.MaxEpochs,
                state.UnfrozenGroups, state.Groups, state.PatienceCounter, state.Patience, report.Attempt);
        }).ToList();
        return new LiveTrials(live, []);
    }

    private async Task<LiveTrials> LiveTrialsAsync(ActorSystem system)
    {
        var state = _cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members.Where(m => !unreachable.Contains(m.Address) && m.Status == MemberStatus.Up).Select(m => m.Address).ToList();
        var answers = await Task.WhenAll(members.Select(async address =>
        {
            try
            {
                return (Address: address, Answer: await system.ActorSelection(new RootActorPath(address) / "user" / Name)
                    .Ask<LiveTrials>(new GetLocalTrials(), TimeSpan.FromSeconds(3)));
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                return (Address: address, Answer: (LiveTrials?)null);
            }
        }));
        return new LiveTrials(answers.Where(a => a.Answer is not null).SelectMany(a => a.Answer!.Trials).ToList(),
            answers.Where(a => a.Answer is null).Select(a => a.Address.ToString()).Concat(unreachable.Select(a => a.ToString())).ToList());
    }

    private MemberCommandResult Apply(MemberCommand command)
    {
        var state = _cluster.State;
        if (command.Address is null)
        {
            var unreachable = state.Unreachable.Select(m => m.Address).ToList();
            foreach (var address in unreachable) _cluster.Down(address);
            return new MemberCommandResult(command.Verb, unreachable.Select(a => a.ToString()).ToList(), null);
        }
        var member = state.Members.FirstOrDefault(m => Names(command.Address, m.Address));
        if (member is null)
            return new MemberCommandResult(command.Verb, [], $"no member {command.Address} in the cluster");
        if (command.Verb == MembershipVerb.Leave) _cluster.Leave(member.Address);
        else _cluster.Down(member.Address);
        return new MemberCommandResult(command.Verb, [member.Address.ToString()], null);
    }

    /// <summary>Asks the cluster to join <paramref name="text"/>'s cluster, or says why not: a node that is already a
    /// member stays where it is (Akka lets a node join one cluster, once).</summary>
    private (Address? Seed, JoinResult? Refused) JoinOrRefuse(string text)
    {
        var self = _cluster.SelfAddress;
        JoinResult Result(string outcome, string? refused = null, Address? to = null) =>
            new(self.ToString(), to?.ToString() ?? text, outcome, _cluster.State.Members.Count, refused);
        Address seed;
        try
        {
            seed = SeedOf(text, self);
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
        {
            return (null, Result("refused", $"'{text}' is not an address of the form host:port or {self}"));
        }
        if (seed.Protocol != self.Protocol || seed.System != self.System)
            return (null, Result("refused", $"{seed} is not a node of this kind: this node is {self.Protocol}://{self.System}@…"));
        var members = _cluster.State.Members;
        if (members.Any(m => m.Address == self))
            return members.Any(m => m.Address == seed)
                ? (null, Result("member", to: seed))
                : (null, Result("refused", $"node {self} is already a member of a cluster (leader {_cluster.State.Leader?.ToString() ?? "none"}); " +
                                           $"a node joins one cluster, once: stop it and start it with --seed {seed.Host}:{seed.Port}"));
        // A node still trying its own seeds: a manual join replaces that attempt.
        _cluster.Join(seed);
        return (seed, null);
    }

    /// <summary>A full address, or host:port on this node's protocol and system name.</summary>
    private static Address SeedOf(string text, Address self)
    {
        if (text.Contains("://", StringComparison.Ordinal)) return Address.Parse(text);
        var seed = SeedAddress.Parse(text);
        return new Address(self.Protocol, self.System, seed.Host, seed.Port);
    }

    private async Task<JoinResult> UpWithinAsync(Address seed, TimeSpan wait)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var joined = await Task.WhenAny(up.Task, Task.Delay(wait)).ConfigureAwait(false) == up.Task;
        return new JoinResult(_cluster.SelfAddress.ToString(), seed.ToString(), joined ? "joined" : "joining", _cluster.State.Members.Count, null);
    }

    /// <summary>The actors that answered the wildcard selections of each level (one collector per level); the trial
    /// actors annotated from their slots.</summary>
    private async Task<ActorTree> ActorTreeAsync(IReadOnlyList<IActorRef> collectors, IReadOnlyList<IActorRef> slots)
    {
        var found = new List<string>();
        foreach (var collector in collectors)
        {
            var refs = await collector.Ask<IReadOnlyList<IActorRef>>(new IdentityCollector.Done(), TimeSpan.FromSeconds(5));
            found.AddRange(refs.Select(r => r.Path.ToStringWithoutAddress()));
        }
        var trials = new Dictionary<TrialId, TrialStatusReport>();
        foreach (var slot in slots)
        {
            try
            {
                var report = await slot.Ask<TrialStatusReport>(new GetTrialStatus(), TimeSpan.FromSeconds(2));
                trials[report.TrialId] = report;
            }
            catch (Exception ex) when (ex is AskTimeoutException or InvalidOperationException or TaskCanceledException)
            {
                // An idle slot (it answers with a failure) or one between trials.
            }
        }
        var entries = found.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(p =>
        {
            var trial = trials.Values.FirstOrDefault(t => p.Split('/').Any(part => part.StartsWith($"trial-{t.TrialId}-", StringComparison.Ordinal)));
            return trial is null
                ? new ActorEntry(p, null, null, null)
                : new ActorEntry(p, trial.TrialId, trial.Journaled.Backbone,
                    FormattableString.Invariant($"{trial.Journaled.Phase.ToString().ToLowerInvariant()}, epoch {Math.Max(trial.TrainingEpoch, trial.Journaled.EpochsDone)} of {trial.Journaled.MaxEpochs}, m={trial.Journaled.UnfrozenGroups}/{trial.Journaled.Groups}, patience {trial.Journaled.PatienceCounter}/{trial.Journaled.Patience}"));
        }).ToList();
        return new ActorTree(_cluster.SelfAddress.ToString(), entries);
    }

    /// <summary>Gathers the answers to one wildcard Identify for a while, then hands them over.</summary>
    private sealed class IdentityCollector : ReceiveActor
    {
        public sealed record Done;

        private readonly List<IActorRef> _found = [];
        private IActorRef? _asker;
        private bool _closed;

        public IdentityCollector(TimeSpan window)
        {
            Receive<ActorIdentity>(id => { if (id.Subject is { } subject) _found.Add(subject); });
            Receive<Done>(_ => { _asker = Sender; Reply(); });
            Receive<ReceiveTimeout>(_ => { _closed = true; Reply(); });
            Context.SetReceiveTimeout(window);
        }

        private void Reply()
        {
            if (!_closed || _asker is null) return;
            _asker.Tell((IReadOnlyList<IActorRef>)_found.ToList());
            Context.Stop(Self);
        }
    }

    public static Props Props(IActorRef coordinator) => Akka.Actor.Props.Create(() => new NodeActor(coordinator));

    internal sealed record AddSlot(IActorRef Slot);

    private bool SameNode(string address) => Names(address, _cluster.SelfAddress);

    /// <summary>Whether <paramref name="address"/> (a full Akka address, or host:port) is <paramref name="node"/>.</summary>
    public static bool Names(string address, Address node) =>
        string.Equals(address.TrimEnd('/'), node.ToString(), StringComparison.Ordinal)
        || string.Equals(address, $"{node.Host}:{node.Port}", StringComparison.Ordinal);

    private async Task<ClusterView> ViewAsync(ActorSystem system)
    {
        QueueStatus? queue = null;
        try
        {
            queue = await _coordinator.Ask<QueueStatus>(new GetQueueStatus(), TimeSpan.FromSeconds(3));
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            // No coordinator reachable now: the members are still worth showing.
        }
        var state = _cluster.State;
        var self = Info;
        // Each reachable member's node actor says its version and start time (within a second, or it shows "?").
        var unreachableNow = state.Unreachable.Select(m => m.Address).ToHashSet();
        var infos = (await Task.WhenAll(state.Members.Where(m => !unreachableNow.Contains(m.Address)).Select(async m =>
        {
            try
            {
                return m.Address == _cluster.SelfAddress ? self
                    : await system.ActorSelection(new RootActorPath(m.Address) / "user" / Name).Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(1));
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                return null;
            }
        }))).OfType<NodeInfo>().ToDictionary(i => i.Address, StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var slots = queue?.Slots ?? [];
        var members = state.Members.Select(m => new MemberView(
            m.Address.ToString(),
            m.Roles.OrderBy(r => r, StringComparer.Ordinal).ToArray(),
            m.Status.ToString().ToLowerInvariant(),
            !unreachable.Contains(m.Address),
            slots.Count(s => s.Node == m.Address.ToString()),
            slots.Count(s => s.Node == m.Address.ToString() && s.Busy),
            slots.Count(s => s.Node == m.Address.ToString() && s.Draining),
            infos.GetValueOrDefault(m.Address.ToString())?.AppVersion,
            infos.TryGetValue(m.Address.ToString(), out var info) ? (now - info.StartedAt).TotalSeconds : null)).ToList();
        var roles = state.Members.SelectMany(m => m.Roles).Distinct().OrderBy(r => r, StringComparer.Ordinal)
            .ToDictionary(r => r, r => state.RoleLeader(r)?.ToString(), StringComparer.Ordinal);
        return new ClusterView(_cluster.SelfAddress.ToString(), state.Leader?.ToString(), roles, queue?.Node, members,
            queue?.Pending ?? 0, queue?.Running.Count ?? 0);
    }
}
