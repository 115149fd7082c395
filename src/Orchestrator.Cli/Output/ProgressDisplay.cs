using Orchestrator.Engine.Ingest;
using Spectre.Console;

namespace Orchestrator.Cli.Output;

/// <summary>
/// Progress of a long data command: Spectre bars on a terminal, one line per phase and every tenth of it when the
/// output is redirected. Only counts are shown, never file names (they may carry patient ids).
/// </summary>
public static class ProgressDisplay
{
    public static T Run<T>(Func<IProgress<IngestProgress>, T> work)
    {
        if (!ConsoleRunObserver.Interactive) return work(new LineProgress());
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx => work(new BarProgress(ctx)));
    }

    private sealed class BarProgress(ProgressContext context) : IProgress<IngestProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public void Report(IngestProgress value)
        {
            lock (_gate)
            {
                if (!_tasks.TryGetValue(value.Phase, out var task))
                    _tasks[value.Phase] = task = context.AddTask(value.Phase, maxValue: Math.Max(1, value.Total));
                task.Value = Math.Max(task.Value, value.Done);
            }
        }
    }

    private sealed class LineProgress : IProgress<IngestProgress>
    {
        private readonly Dictionary<string, int> _lastTenth = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public void Report(IngestProgress value)
        {
            var tenth = value.Total == 0 ? 10 : value.Done * 10 / value.Total;
            lock (_gate)
            {
                if (_lastTenth.TryGetValue(value.Phase, out var last) && tenth <= last) return;
                _lastTenth[value.Phase] = tenth;
                Console.WriteLine($"{value.Phase}: {value.Done}/{value.Total}");
            }
        }
    }
}
