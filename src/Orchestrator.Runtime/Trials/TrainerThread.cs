using System.Collections.Concurrent;

namespace Orchestrator.Runtime.Trials;

/// <summary>
/// One dedicated thread that runs a trial's engine work (epochs, checkpoints, evaluation) in order. Training takes
/// seconds to hours inside libtorch; on Akka's dispatchers, which share the thread pool with remoting and cluster
/// heartbeats, it would starve the node. The actor hands work here and gets the result back as a message.
/// </summary>
public sealed class TrainerThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public TrainerThread(string name)
    {
        _thread = new Thread(Loop) { Name = name, IsBackground = true };
        _thread.Start();
    }

    /// <summary>Queues <paramref name="work"/>; the task completes with its result or its exception.</summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Execute()
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }
        try
        {
            _work.Add(Execute);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            done.SetException(new ObjectDisposedException(_thread.Name, "the trainer thread has shut down"));
        }
        return done.Task;
    }

    /// <summary>Runs <paramref name="last"/> after the work already queued, then ends the thread; returns at once.</summary>
    public void Shutdown(Action last)
    {
        try
        {
            _work.Add(last);
            _work.CompleteAdding();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // Already shut down.
        }
    }

    private void Loop()
    {
        foreach (var work in _work.GetConsumingEnumerable()) work();
    }

    public void Dispose() => Shutdown(() => { });
}
