using System.CommandLine;
using Orchestrator.Runtime.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator worker`: a cluster node with the worker role; its slots ask the coordinator for trials.</summary>
public static class WorkerCommand
{
    public static Command Create()
    {
        var store = CommonOptions.Store();
        var slots = new Option<int?>("--slots") { Description = "Worker slots (trials trained at once); default 1" };
        var gpus = new Option<string?>("--gpus") { Description = "One slot per listed GPU index, e.g. 0,1,2,3 (instead of --slots): slot gpu-N trains on cuda:N" };
        var host = CommonOptions.Host();
        var port = new Option<int>("--port") { Description = "Cluster port (default 0: a free one)", DefaultValueFactory = _ => 0 };
        var seeds = CommonOptions.Addresses("--seed", "Seed nodes of the cluster");
        var exitWhenIdle = new Option<bool>("--exit-when-idle") { Description = "Exit once the coordinator has had work and holds no pending or running trial (a worker started before the launch waits for it)" };
        var keyFile = CommonOptions.KeyFile("commands to this node must be signed with (none: it takes no command that changes the cluster)");
        var command = new Command("worker", "Join the cluster as a worker node: its slots ask the coordinator for trials and train them (Ctrl+C hands them back)")
        {
            store, slots, gpus, host, port, seeds, exitWhenIdle, keyFile,
        };
        var engine = new EngineOptions();
        engine.AddTo(command, withDevice: false);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var names = NodeCommand.SlotNames(result.GetValue(slots), result.GetValue(gpus), 1);
            var options = new NodeOptions(result.GetValue(host)!, NodeCommand.Port(result.GetValue(port)), [NodeOptions.WorkerRole],
                CommonOptions.ResolveAddresses(result, seeds))
                { ControlKey = CommonOptions.LoadKey(result, keyFile) };
            return await NodeCommand.RunAsync(result.GetValue(store)!, options, names, engine.Read(result, names), result.GetValue(exitWhenIdle), ct);
        }, ct));
        return command;
    }
}
