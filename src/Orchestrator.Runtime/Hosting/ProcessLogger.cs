using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// Akka's log for a command's terminal: each warning and error as one line on stderr, never a stack trace; every event
/// in full (exception and stack trace included) in the process's log file, whose path the line names. The file is made
/// on the first event, so a quiet command leaves none.
/// </summary>
public sealed class ProcessLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>Where the log file goes (default <c>.orchestrator/logs/orchestrator-PID.log</c> in the working directory).</summary>
    public const string PathVariable = "ORCHESTRATOR_LOG";

    private StreamWriter? _file;

    public ProcessLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Log);
    }

    public static string FilePath => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } set
        ? Path.GetFullPath(set)
        : Path.GetFullPath(Path.Combine(".orchestrator", "logs", $"orchestrator-{Environment.ProcessId}.log"));

    private void Log(LogEvent e)
    {
        var path = FilePath;
        var cause = (e as Error)?.Cause;
        try
        {
            if (_file is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                _file = new StreamWriter(path, append: true) { AutoFlush = true };
            }
            _file.WriteLine($"{e.Timestamp:O} {e.LogLevel()} {e.LogSource}: {e.Message}");
            if (cause is not null) _file.WriteLine(cause.ToString());
        }
        catch (IOException)
        {
            path = "(no log file: it could not be written)";
        }
        catch (UnauthorizedAccessException)
        {
            path = "(no log file: it could not be written)";
        }
        if (e.LogLevel() < LogLevel.WarningLevel) return;
        var what = FirstLine(e.Message?.ToString());
        if (cause is not null) what += $" ({cause.GetType().Name}: {FirstLine(cause.Message)})";
        Console.Error.WriteLine($"{(e.LogLevel() == LogLevel.ErrorLevel ? "error" : "warning")}: {Source(e.LogSource)}: {what} [details: {path}]");
    }

    /// <summary>An actor's name rather than its whole path; any other source as it is.</summary>
    private static string Source(string source)
    {
        var slash = source.LastIndexOf('/');
        return source.StartsWith("akka", StringComparison.Ordinal) && slash > source.IndexOf("://", StringComparison.Ordinal) + 2
               && slash < source.Length - 1 ? source[(slash + 1)..] : source;
    }

    private static string FirstLine(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    protected override void PostStop()
    {
        _file?.Dispose();
        base.PostStop();
    }
}
