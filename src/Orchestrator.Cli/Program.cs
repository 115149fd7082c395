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
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(CoordinatorCommand.Create());
root.Subcommands.Add(ClusterCommands.Create());
root.Subcommands.Add(ClusterCommands.CreateNode());
// Ctrl+C / SIGTERM cancel the command's token; a run then stops its trials at the epoch boundary, keeps the commit
// under way and hands its trials back, which can take longer than System.CommandLine's default grace of 2 s.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
