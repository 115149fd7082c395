namespace Orchestrator.Runtime.Trials;

/// <summary>Blocking I/O of a trial that must not hold a thread of Akka's dispatcher (flushing checkpoint files).</summary>
internal static class OffActorThread
{
    public static Task<T> Run<T>(Func<Task<T>> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
}
