using System.Globalization;
using Orchestrator.Nemesis;

// orchestrator-nemesis [--rounds N] [--seed S] [--out FILE.md] [--slots N] [--faults KIND,KIND] [--netns] [--pruning] [--keep] [--schedule]
// --pruning launches searches with successive halving and replicates, and checks their decisions against a run without faults.
// --faults draws only these kinds (e.g. Freeze,KillWorker).
// --netns puts every node in a network namespace of its own (root only), which lets the schedule draw partitions.
// --schedule prints the faults the seed draws and exits.
// Exit 0: every invariant held; 1: a violation or a harness error (the table says which); 2: bad arguments.
var rounds = 3;
var seed = Environment.TickCount & 0xFFFF;
string? output = null;
var keep = false;
var slots = 1;
var scheduleOnly = false;
var netns = false;
var pruning = false;
List<FaultKind>? kinds = null;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
            case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
            case "--out": output = args[++i]; break;
            case "--slots": slots = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
            case "--keep": keep = true; break;
            case "--schedule": scheduleOnly = true; break;
            case "--netns": netns = true; break;
            case "--pruning": pruning = true; break;
            case "--faults":
                kinds = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(k => Enum.TryParse<FaultKind>(k, ignoreCase: true, out var kind) ? kind
                        : throw new FormatException($"unknown fault kind {k} (one of {string.Join(", ", Enum.GetNames<FaultKind>())})")).ToList();
                break;
            default: throw new FormatException($"unknown argument {args[i]}");
        }
    }
    if (rounds < 0 || slots < 1) throw new FormatException("--rounds must be >= 0 and --slots >= 1");
    if (!netns && kinds?.Contains(FaultKind.Partition) == true) throw new FormatException("--faults Partition needs --netns");
    if (netns && !scheduleOnly && !NetworkLab.Usable(out var why)) throw new FormatException(why);
}
catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or OverflowException)
{
    Console.Error.WriteLine($"error: {ex.Message}\nusage: orchestrator-nemesis [--rounds N] [--seed S] [--out FILE.md] [--slots N] [--faults KIND,KIND] [--netns] [--pruning] [--keep] [--schedule]");
    return 2;
}

if (scheduleOnly)
{
    foreach (var fault in NemesisRun.Schedule(rounds, seed, kinds, netns)) Console.WriteLine(fault);
    return 0;
}

Console.WriteLine($"nemesis: {rounds} round(s), seed {seed}");
var report = await new NemesisRun(new Options(rounds, seed, output, keep, slots, kinds, netns, pruning), line => Console.WriteLine(line)).RunAsync();
var table = report.ToMarkdown();
Console.WriteLine();
Console.WriteLine(table);
if (output is not null) await File.WriteAllTextAsync(output, table);
return report.Failed ? 1 : 0;
