using System.Threading.Channels;

namespace Orchestrator.Cluster.Actors;

/// <summary>What a supervisor does when an actor's handler throws.</summary>
public enum SupervisorDirective { Resume, Restart, Stop }

/// <summary>
/// The whole actor model of this project: a mailbox (an unbounded channel) drained by one loop, so an actor
/// handles one message at a time and its fields need no locks. A failed handler is reported to the
/// supervisor function, which resumes the actor, restarts it (fresh state through <see cref="OnRestart"/>)
/// or stops it. Cancellation of the token ends the loop quietly.
/// </summary>
public abstract class Actor<TMessage>
{
    private readonly Channel<TMessage> _mailbox = Channel.CreateUnbounded<TMessage>(new UnboundedChannelOptions { SingleReader = true });
    private Task _loop = Task.CompletedTask;
    private int _restarts;

    protected Actor(string name) => Name = name;

    public string Name { get; }

    /// <summary>Decides what happens after a handler failure; the default restarts up to 3 times, then stops.</summary>
    public Func<Actor<TMessage>, Exception, int, SupervisorDirective> Supervisor { get; init; } =
        (_, _, restarts) => restarts < 3 ? SupervisorDirective.Restart : SupervisorDirective.Stop;

    /// <summary>Completes when the actor has stopped; faults with the last failure when its supervisor stopped it.</summary>
    public Task Completion => _loop;

    public void Start(CancellationToken ct) => _loop = Task.Run(() => RunAsync(ct), CancellationToken.None);

    public void Tell(TMessage message) => _mailbox.Writer.TryWrite(message);

    /// <summary>No more messages: the actor stops once its mailbox is drained.</summary>
    public void Complete() => _mailbox.Writer.TryComplete();

    protected abstract Task HandleAsync(TMessage message, CancellationToken ct);

    /// <summary>Called before the actor handles messages again after a restart: drop in-flight state here.</summary>
    protected virtual void OnRestart(Exception cause) { }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var message in _mailbox.Reader.ReadAllAsync(ct))
            {
                try
                {
                    await HandleAsync(message, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    switch (Supervisor(this, ex, _restarts))
                    {
                        case SupervisorDirective.Resume:
                            break;
                        case SupervisorDirective.Restart:
                            _restarts++;
                            OnRestart(ex);
                            break;
                        default:
                            _mailbox.Writer.TryComplete(ex);
                            throw;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
