using Akka.Actor;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// This node's one way in for commands that change the cluster, registered with the ClusterClient receptionist at
/// <c>/user/control</c>: it takes only a <see cref="SignedCommand"/> that its <see cref="ControlGate"/> lets through,
/// writes an audit line for every command, accepted or refused, and passes an accepted one to this node's operations
/// actor or the coordinator singleton's proxy (asking them itself, so that they see a local sender).
/// </summary>
public sealed class ControlFacade : ReceiveActor
{
    public const string Name = "control";

    /// <summary>How long the facade waits for the node or coordinator; past it the client's own timeout speaks.</summary>
    private static readonly TimeSpan PassOnFor = TimeSpan.FromMinutes(5);

    /// <param name="self">This node's address, for the audit log.</param>
    /// <param name="operators">Checks commands signed with a certificate (null: TLS is off, only the key signs); the
    /// facade owns it.</param>
    public ControlFacade(IActorRef node, IActorRef coordinator, ControlKey? key, AuditLog audit, string self, Func<DateTimeOffset> clock,
        OperatorTrust? operators)
    {
        _operators = operators;
        var gate = new ControlGate(key, clock, operators);
        Receive<SignedCommand>(signed =>
        {
            var (command, refused) = gate.Check(signed);
            audit.Write(new AuditEntry(clock(), self, refused is null ? "accepted" : "refused", signed.Type, Shorten(signed.Body), signed.Caller,
                signed.Nonce, Sender.Path.ToString(), refused));
            if (refused is not null)
            {
                Sender.Tell(new ControlRefused(refused));
                return;
            }
            var target = ControlCommands.Types[signed.Type].Target == ControlCommands.Target.Node ? node : coordinator;
            var replyTo = Sender;
            // A node that is not the one a broadcast command names does not answer: nothing goes back from it.
            target.Ask<object>(command!, PassOnFor).ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) replyTo.Tell(t.Result);
            }, TaskScheduler.Default);
        });
        Receive<object>(other =>
        {
            audit.Write(new AuditEntry(clock(), self, "refused", other.GetType().Name, null, null, null, Sender.Path.ToString(), "not signed"));
            Sender.Tell(new ControlRefused(
                $"{other.GetType().Name} is not a signed command: commands that change the cluster are signed with the control key or an operator certificate ({ControlKey.HowToConfigure})"));
        });
    }

    private readonly OperatorTrust? _operators;

    protected override void PostStop() => _operators?.Dispose();

    private static string Shorten(string body) => body.Length <= 400 ? body : body[..400] + "…";

    public static Props Props(IActorRef node, IActorRef coordinator, ControlKey? key, AuditLog audit, string self, Func<DateTimeOffset>? clock = null,
        OperatorTrust? operators = null) =>
        Akka.Actor.Props.Create(() => new ControlFacade(node, coordinator, key, audit, self, clock ?? (() => DateTimeOffset.UtcNow), operators));
}

/// <summary>
/// This node's read-only endpoint, registered with the ClusterClient receptionist at <c>/user/query</c>: it passes the
/// queries (the cluster view, the actor tree, the live trials) to the operations actor, and nothing else.
/// </summary>
public sealed class QueryEndpoint : ReceiveActor
{
    public const string Name = "query";

    public QueryEndpoint(IActorRef node)
    {
        Receive<GetClusterView>(q => node.Forward(q));
        Receive<GetActorTree>(q => node.Forward(q));
        Receive<GetLiveTrials>(q => node.Forward(q));
        Receive<object>(other => Sender.Tell(new ControlRefused($"{other.GetType().Name} is not a query: see `orchestrator --help`")));
    }

    public static Props Props(IActorRef node) => Akka.Actor.Props.Create(() => new QueryEndpoint(node));
}
