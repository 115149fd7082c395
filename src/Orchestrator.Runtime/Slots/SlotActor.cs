using Akka.Actor;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Slots;

/// <summary>
/// One worker slot (a GPU, or a share of the CPU): asks the coordinator for a trial, runs it as a supervised child,
/// reports its end and asks again. It runs at most one trial at a time and refuses a second.
/// </summary>
public sealed class SlotActor : ReceiveActor
{
    private readonly string _name;
    private readonly IActorRef _coordinator;
    private readonly TrialServices _services;
    private Running? _running;

    public SlotActor(string name, IActorRef coordinator, TrialServices services)
    {
        _name = name;
        _coordinator = coordinator;
        _services = services;

        Receive<WorkAssigned>(OnAssigned);
        Receive<TrialEnded>(OnEnded);
        Receive<StopTrial>(stop => _running?.Trial.Tell(stop));
        Receive<GetTrialStatus>(query =>
        {
            if (_running is { } running) running.Trial.Forward(query);
            else Sender.Tell(new Status.Failure(new InvalidOperationException($"slot {_name} is idle")));
        });
        Receive<Terminated>(OnTerminated);
    }

    public static Props Props(string name, IActorRef coordinator, TrialServices services) =>
        Akka.Actor.Props.Create(() => new SlotActor(name, coordinator, services));

    protected override void PreStart() => _coordinator.Tell(new RequestWork(_name));

    private void OnAssigned(WorkAssigned work)
    {
        if (_running is not null)
        {
            Sender.Tell(new WorkRejected(work.Lease));
            return;
        }
        var assignment = new TrialAssignment(work.Lease.TrialId, work.Lease.SweepId, work.Spec, _name);
        // The child's name carries the lease epoch: a trial handed back and given to this slot again gets a new one.
        var trial = Context.ActorOf(TrialActor.Supervised(assignment, _services, Self), $"trial-{work.Lease.TrialId}-{work.Lease.Epoch}");
        Context.Watch(trial);
        _running = new Running(work, trial);
    }

    private void OnEnded(TrialEnded ended)
    {
        if (_running is not { } running || running.Work.Lease.TrialId != ended.TrialId) return;
        _services.Observer.TrialEnded(_name, ended.TrialId, ended.State);
        Context.Unwatch(running.Trial);
        Context.Stop(running.Trial);
        Release(running, ended.End);
    }

    private void OnTerminated(Terminated terminated)
    {
        if (_running is not { } running || !running.Trial.Equals(terminated.ActorRef)) return;
        _services.Observer.Note($"[{_name}] {running.Work.Lease.TrialId}: stopped without finishing; handed back");
        Release(running, null);
    }

    private void Release(Running running, TrialEnd? end)
    {
        _running = null;
        _coordinator.Tell(new WorkReturned(_name, running.Work.Lease, end));
        _coordinator.Tell(new RequestWork(_name));
    }

    private sealed record Running(WorkAssigned Work, IActorRef Trial);
}
