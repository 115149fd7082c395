using System.CommandLine;
using Orchestrator.Cli.Commands;
using Spectre.Console;

// Redirected output (logs, CI) has no terminal width; Spectre would assume 80 columns and wrap every table cell.
// Nor does it want colour codes.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 200;
    AnsiConsole.Profile.Capabilities.Ansi = false;
}

var root = new RootCommand("orchestrator: fine-tuning sweeps of CNN backbones for chest X-ray classification, event-sourced and resumable");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(SweepCommands.Create());
root.Subcommands.Add(TrialCommands.Create());
root.Subcommands.Add(DataCommands.Create());
root.Subcommands.Add(StatsCommands.Create());
root.Subcommands.Add(ModelCommands.Create());
root.Subcommands.Add(BenchCommands.Create());
root.Subcommands.Add(EngineCommand.Create());
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(CoordinatorCommand.Create());
root.Subcommands.Add(ClusterCommands.Create());
root.Subcommands.Add(ClusterCommands.CreateNode());
root.Subcommands.Add(ClusterCommands.CreateActor());
root.Subcommands.Add(AuditCommand.Create());
root.Subcommands.Add(DashboardCommand.Create());
// Ctrl+C / SIGTERM cancel the command's token; a run then stops its trials at the epoch boundary, keeps the commit
// under way and hands its trials back, which can take longer than System.CommandLine's default grace of 2 s.
var parsed = root.Parse(args.Length == 0 ? ["--help"] : args);
if (parsed.Errors.Count > 0)
{
    // A mistyped command line is bad input like any other: one line, exit 2, and a secret typed by mistake (a store
    // URL with a password) is not echoed back.
    var message = parsed.Errors[0].Message;
    foreach (var arg in args.Where(a => a.Contains("://", StringComparison.Ordinal)))
        message = message.Replace(arg, Orchestrator.Catalogue.Postgres.PostgresTarget.Redact(arg), StringComparison.Ordinal);
    return CommandRunner.Fail($"{message} (see `{string.Join(' ', CommandPath(parsed.CommandResult))} --help`)", ExitCodes.BadInput);
}
// Backbones imported with `model import --onnx` (the models folder beside the default store, or $ORCHESTRATOR_MODELS):
// known to the spec parser now, to the engine on its first use.
Orchestrator.Engine.Models.Onnx.ModelLibrary.RegisterInstalled(Orchestrator.Engine.Models.Onnx.ModelLibrary.Default());
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });

// "orchestrator sweep launch": the names from the root down to the command the parse ended in.
static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult command)
{
    var names = new Stack<string>();
    for (var c = command; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
        names.Push(c.Parent is null ? "orchestrator" : c.Command.Name);
    return names;
}
