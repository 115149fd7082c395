using Orchestrator.Domain;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Domain.Specs;
using Orchestrator.Engine.Interop;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Unreachable = 3;
    public const int Interrupted = 130;
}

/// <summary>Runs a command body and turns what it throws into one clear line on stderr and an exit code.</summary>
public static class CommandRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> body, CancellationToken ct)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted: progress so far is journaled; run the same command again to resume");
            return ExitCodes.Interrupted;
        }
        catch (ClusterUnreachableException ex)
        {
            return Fail(ex.Message, ExitCodes.Unreachable);
        }
        catch (CoordinatorSilentException ex)
        {
            return Fail(ex.Message, ExitCodes.Failed);
        }
        catch (Exception ex) when (ex is SpecException or InvalidInputException or FormatException or FileNotFoundException or DirectoryNotFoundException
            or EngineException { InvalidInput: true })
        {
            return Fail(ex.Message, ExitCodes.BadInput);
        }
        catch (Exception ex)
        {
            // ORCHESTRATOR_DEBUG=1: the whole exception, for a bug report.
            if (Environment.GetEnvironmentVariable("ORCHESTRATOR_DEBUG") == "1") Console.Error.WriteLine(ex);
            return Fail($"{ex.GetType().Name}: {ex.Message}", ExitCodes.Failed);
        }
    }

    public static int Fail(string message, int code)
    {
        var line = message.ReplaceLineEndings(" ");
        Console.Error.WriteLine(line.StartsWith("error:", StringComparison.Ordinal) ? line : $"error: {line}");
        return code;
    }

    public static IAnsiConsole Out { get; } = AnsiConsole.Console;
}
