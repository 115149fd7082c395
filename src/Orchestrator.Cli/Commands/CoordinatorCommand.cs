using System.CommandLine;
using Orchestrator.Runtime.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator coordinator`: a cluster node with the coordinator role, which may host the sweep
/// coordinator singleton (the oldest such node does; the others take over when it goes).</summary>
public static class CoordinatorCommand
{
    public static Command Create()
    {
        var store = CommonOptions.Store();
        var host = CommonOptions.Host();
        var port = new Option<int>("--port") { Description = $"Cluster port (default {NodeOptions.DefaultPort}, the default seed)", DefaultValueFactory = _ => NodeOptions.DefaultPort };
        var seeds = CommonOptions.Addresses("--seed", "Seed nodes of the cluster");
        var slots = new Option<int?>("--slots") { Description = "Also a worker with this many slots (default: none)" };
        var keyFile = CommonOptions.KeyFile("commands to this node must be signed with (none: it takes no command that changes the cluster)");
        var command = new Command("coordinator", "Run a coordinator node of the cluster: it may host the sweep coordinator (one does; others stand by)")
        {
            store, host, port, seeds, slots, keyFile,
        };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var names = NodeCommand.SlotNames(result.GetValue(slots) ?? 0, null, 0);
            IReadOnlyList<string> roles = names.Count > 0 ? [NodeOptions.CoordinatorRole, NodeOptions.WorkerRole] : [NodeOptions.CoordinatorRole];
            var options = new NodeOptions(result.GetValue(host)!, NodeCommand.Port(result.GetValue(port)), roles, CommonOptions.ResolveAddresses(result, seeds))
                { ControlKey = CommonOptions.LoadKey(result, keyFile) };
            return await NodeCommand.RunAsync(result.GetValue(store)!, options, names, EngineOptions.Defaults(names), exitWhenIdle: false, ct);
        }, ct));
        return command;
    }
}
