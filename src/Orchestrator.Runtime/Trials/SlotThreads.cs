namespace Orchestrator.Runtime.Trials;

/// <summary>
/// The two threads a slot's trials run their blocking work on: <see cref="Engine"/> for everything that touches the
/// engine (one trial at a time, as the slot runs one trial at a time), <see cref="Commits"/> for making checkpoint
/// files durable and pruning them. They belong to the slot and outlive its trials: starting threads for every trial
/// cost milliseconds of each hand-over. Work of a stopped trial still queued runs (cancelled) before the next one's.
/// </summary>
public sealed class SlotThreads(string slot) : IDisposable
{
    public TrainerThread Engine { get; } = new($"{slot} engine");

    public TrainerThread Commits { get; } = new($"{slot} commits");

    /// <summary>Ends both threads once their queued work has run; returns at once.</summary>
    public void Dispose()
    {
        Engine.Dispose();
        Commits.Dispose();
    }
}
