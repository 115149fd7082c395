using System.CommandLine;
using System.Text.Json;
using Orchestrator.Domain;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Cli.Commands;

/// <summary>`audit log`: the commands a node's control facade accepted or refused, from its audit file.</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var file = new Option<FileInfo?>("--file") { Description = $"The audit file (default ${AuditLog.PathVariable} or .orchestrator/logs/audit.jsonl)" };
        var last = new Option<int>("--last") { Description = "Only the last N commands", DefaultValueFactory = _ => 50 };
        var json = CommonOptions.Json();
        var log = new Command("log", "The commands that changed (or tried to change) the cluster through this box's nodes, accepted or refused")
        {
            file, last, json,
        };
        log.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var path = result.GetValue(file)?.FullName ?? AuditLog.DefaultPath;
            var count = result.GetValue(last);
            if (count < 1) throw new InvalidInputException($"--last: {count} is invalid (must be >= 1)");
            if (!File.Exists(path)) throw new InvalidInputException($"no audit log at {path} (a node writes it on its first command; see --file)");
            var entries = new List<AuditEntry>();
            foreach (var line in (await File.ReadAllLinesAsync(path, ct)).Where(l => l.Length > 0).TakeLast(count))
            {
                try
                {
                    entries.Add(JsonSerializer.Deserialize<AuditEntry>(line, AuditLog.Json)!);
                }
                catch (JsonException)
                {
                    throw new InvalidInputException($"{path}: a line is not an audit entry (is it an audit log?)");
                }
            }
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(entries, AuditLog.Json));
                return ExitCodes.Ok;
            }
            foreach (var e in entries)
                Console.WriteLine($"{e.Time:u} {SeedAddress.HostPortOf(e.Node)} {e.Outcome} {e.Command}{(e.Body is null ? "" : " " + e.Body)} " +
                                  $"by {e.Caller ?? "?"}{(e.Reason is null ? "" : $": {e.Reason}")}");
            Console.WriteLine($"{entries.Count} command(s) from {path}");
            return ExitCodes.Ok;
        }, ct));
        var audit = new Command("audit", "What was done to the cluster, and by whom");
        audit.Subcommands.Add(log);
        return audit;
    }
}
