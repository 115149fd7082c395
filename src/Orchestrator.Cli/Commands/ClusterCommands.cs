using System.CommandLine;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>`cluster show`, `cluster leader` and `node drain`: asked of the running cluster itself, through ClusterClient.</summary>
public static class ClusterCommands
{
    public static Command Create()
    {
        var cluster = new Command("cluster", "Ask the running cluster about its members and leaders");
        cluster.Subcommands.Add(Show());
        cluster.Subcommands.Add(Leader());
        return cluster;
    }

    public static Command CreateNode()
    {
        var node = new Command("node", "Act on one node of the running cluster");
        node.Subcommands.Add(Drain());
        return node;
    }

    private static Command Show()
    {
        var json = CommonOptions.Json();
        var command = new Command("show", "One line per member: address, roles, status, reachability, slots and busy slots") { json };
        var client = ClusterClientOptions.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var view = await client.AskAsync<ClusterView>(result, (c, wait) => c.AskNodeAsync(new GetClusterView(), wait, ct));
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    answeredBy = view.AnsweredBy,
                    coordinator = view.Coordinator,
                    pending = view.Pending,
                    running = view.Running,
                    members = view.Members.Select(m => new
                    {
                        address = m.Address, roles = m.Roles, status = m.Status, reachable = m.Reachable,
                        slots = m.Slots, busy = m.Busy, draining = m.Draining,
                    }),
                }, Tables.Json));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("address", "roles", "status", "reachable", "slots", "busy");
            foreach (var m in view.Members)
                table.AddRow(m.Address, string.Join(",", m.Roles), m.Status + (m.Draining > 0 ? " (draining)" : ""), m.Reachable ? "yes" : "NO",
                    m.Slots.ToString(), m.Busy.ToString());
            AnsiConsole.Write(table);
            var up = view.Members.Count(m => m.Status == "up");
            var unreachable = view.Members.Count(m => !m.Reachable);
            Console.WriteLine($"{view.Members.Count} member(s): {up} up, {unreachable} unreachable; coordinator {view.Coordinator ?? "not reachable"}; " +
                              $"{view.Pending} pending, {view.Running} running trial(s)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Leader()
    {
        var json = CommonOptions.Json();
        var command = new Command("leader", "The cluster leader, each role's leader, and where the sweep coordinator runs") { json };
        var client = ClusterClientOptions.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var view = await client.AskAsync<ClusterView>(result, (c, wait) => c.AskNodeAsync(new GetClusterView(), wait, ct));
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { leader = view.Leader, roleLeaders = view.RoleLeaders, coordinator = view.Coordinator }, Tables.Json));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"leader: {view.Leader ?? "none"}");
            foreach (var (role, leader) in view.RoleLeaders) Console.WriteLine($"{role} leader: {leader ?? "none"}");
            Console.WriteLine($"coordinator: {view.Coordinator ?? "not reachable"}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Drain()
    {
        var address = new Argument<string>("address") { Description = "The node's address (akka.tcp://orchestrator@host:port, or host:port)" };
        var undo = new Option<bool>("--undo") { Description = "Lift the drain: the node's slots ask for work again" };
        var command = new Command("drain", "The node finishes its running trials and takes no new ones") { address, undo };
        var client = ClusterClientOptions.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var target = result.GetValue(address)!;
            if (!target.Contains("://", StringComparison.Ordinal))
            {
                try
                {
                    SeedAddress.Parse(target);
                }
                catch (FormatException ex)
                {
                    throw new InvalidInputException($"address: {ex.Message}");
                }
            }
            var draining = !result.GetValue(undo);
            var drained = await client.AskAsync<NodeDrained>(result, async (c, wait) =>
            {
                // The cluster's own view first: an unreachable cluster (exit 3) is not an unknown address (exit 2).
                var view = (ClusterView)await c.AskNodeAsync(new GetClusterView(), wait, ct);
                if (!view.Members.Any(m => NodeActor.Names(target, Akka.Actor.Address.Parse(m.Address))))
                    throw new InvalidInputException($"no member {target} in the cluster (members: {string.Join(", ", view.Members.Select(m => m.Address))})");
                return await c.AskEveryNodeAsync(new DrainNode(target, draining), wait, ct);
            });
            Console.WriteLine(drained.Draining
                ? $"node {drained.Address}: draining ({drained.Slots} slot(s) finish their trials and take no new ones)"
                : $"node {drained.Address}: drain lifted ({drained.Slots} slot(s) ask for work again)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
