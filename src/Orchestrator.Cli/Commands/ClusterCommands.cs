using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Runtime.Membership;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Store;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>`cluster show`, `cluster leader` and `node drain`: the pbm-style view of the cluster.</summary>
public static class ClusterCommands
{
    public static Command Create()
    {
        var cluster = new Command("cluster", "Query the cluster's nodes and coordinator");
        cluster.Subcommands.Add(Show());
        cluster.Subcommands.Add(Leader());
        return cluster;
    }

    public static Command CreateNode()
    {
        var node = new Command("node", "Act on one node of the cluster");
        node.Subcommands.Add(Drain());
        return node;
    }

    /// <summary>The status a node has now: the coordinator's verdict, or a worse one when its heartbeat is older
    /// than the default thresholds allow (so the view is right even while no coordinator runs).</summary>
    public static NodeStatus EffectiveStatus(NodeRecord n, DateTimeOffset now)
    {
        var computed = MembershipPolicy.Classify(n, now, MembershipThresholds.Default);
        return n.Status == NodeStatus.Left ? NodeStatus.Left : (NodeStatus)Math.Max((int)n.Status, (int)computed);
    }

    private static Command Show()
    {
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var all = new Option<bool>("--all") { Description = "Also list nodes that left cleanly" };
        var command = new Command("show", "One line per node (roles, slots, busy slots, heartbeat age, status) and totals") { store, json, all };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            await using var opened = await CommonOptions.OpenExistingStoreAsync(result.GetValue(store)!, ct);
            var now = DateTimeOffset.UtcNow;
            var nodes = (await opened.ListNodesAsync(ct))
                .Select(n => (Node: n, Status: EffectiveStatus(n, now), Age: (now - n.LastHeartbeat).TotalSeconds))
                .Where(x => result.GetValue(all) || x.Status != NodeStatus.Left)
                .ToList();
            var leader = await opened.GetLeaderAsync(ct);
            var live = nodes.Where(x => x.Status == NodeStatus.Up).ToList();
            var totals = new
            {
                nodes = nodes.Count,
                up = live.Count,
                unreachable = nodes.Count(x => x.Status == NodeStatus.Unreachable),
                down = nodes.Count(x => x.Status == NodeStatus.Down),
                slots = live.Sum(x => x.Node.Slots),
                busy = live.Sum(x => x.Node.Busy),
            };
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    nodes = nodes.Select(x => new
                    {
                        id = x.Node.Id, host = x.Node.Host, pid = x.Node.Pid, roles = x.Node.Roles.Split(','), slots = x.Node.Slots,
                        busy = x.Node.Busy, heartbeatAgeSeconds = Math.Round(x.Age, 1), status = x.Status.ToString().ToLowerInvariant(),
                        draining = x.Node.Draining, leader = leader?.NodeId == x.Node.Id,
                    }),
                    totals,
                }, Tables.Json));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("node", "host", "roles", "slots", "busy", "heartbeat", "status");
            foreach (var (n, status, age) in nodes)
            {
                var roles = n.Roles + (leader?.NodeId == n.Id ? " (leader)" : "");
                table.AddRow(Markup.Escape(n.Id), Markup.Escape(n.Host), Markup.Escape(roles), n.Slots.ToString(CultureInfo.InvariantCulture),
                    n.Busy.ToString(CultureInfo.InvariantCulture), $"{age.ToString("F1", CultureInfo.InvariantCulture)}s ago",
                    status.ToString().ToLowerInvariant() + (n.Draining ? ", draining" : ""));
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{totals.nodes} node(s): {totals.up} up, {totals.unreachable} unreachable, {totals.down} down; " +
                              $"{totals.busy} of {totals.slots} slot(s) busy on live nodes");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Leader()
    {
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var command = new Command("leader", "The coordinator that leads now") { store, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            await using var opened = await CommonOptions.OpenExistingStoreAsync(result.GetValue(store)!, ct);
            var leader = await opened.GetLeaderAsync(ct);
            var node = leader is null ? null : (await opened.ListNodesAsync(ct)).FirstOrDefault(n => n.Id == leader.NodeId);
            var status = node is null ? (NodeStatus?)null : EffectiveStatus(node, DateTimeOffset.UtcNow);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(leader is null ? null : new
                {
                    id = leader.NodeId, host = leader.Host, pid = leader.Pid, since = leader.Since, term = leader.Term,
                    status = status?.ToString().ToLowerInvariant(),
                }, Tables.Json));
                return ExitCodes.Ok;
            }
            Console.WriteLine(leader is null
                ? "no coordinator has led yet (start one with `orchestrator coordinator`)"
                : $"{leader.NodeId} on {leader.Host} (pid {leader.Pid}), leading since {leader.Since:u}, term {leader.Term}, status {status?.ToString().ToLowerInvariant() ?? "unknown"}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Drain()
    {
        var id = new Argument<string>("node-id") { Description = "Node id as `cluster show` prints it, or a unique prefix of it (e.g. host:pid)" };
        var store = CommonOptions.Store();
        var json = CommonOptions.Json();
        var undo = new Option<bool>("--undo") { Description = "Lift the drain: the node claims trials again" };
        var command = new Command("drain", "The node finishes its running trials and takes no new ones") { id, store, undo, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            await using var opened = await CommonOptions.OpenExistingStoreAsync(result.GetValue(store)!, ct);
            var requested = result.GetValue(id)!;
            var nodes = await opened.ListNodesAsync(ct);
            var matches = nodes.Where(n => n.Id == requested).ToList();
            if (matches.Count == 0) matches = nodes.Where(n => n.Id.StartsWith(requested, StringComparison.Ordinal) && n.Status != NodeStatus.Left).ToList();
            if (matches.Count != 1)
                throw new InvalidInputException(matches.Count == 0
                    ? $"no node '{requested}' (see `orchestrator cluster show`)"
                    : $"'{requested}' matches {matches.Count} nodes; give more of the id");
            var draining = !result.GetValue(undo);
            await opened.SetDrainingAsync(matches[0].Id, draining, ct);
            if (result.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { id = matches[0].Id, draining }, Tables.Json));
            else
                Console.WriteLine(draining
                    ? $"{matches[0].Id}: draining; it finishes its {matches[0].Busy} running trial(s) and claims no new ones"
                    : $"{matches[0].Id}: drain lifted");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
