using System.CommandLine;
using System.Text.Json;
using Orchestrator.Cli.Output;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain;
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
        cluster.Subcommands.Add(Membership(MembershipVerb.Leave, "The member leaves the cluster gracefully: a worker hands its trials back first, then exits"));
        cluster.Subcommands.Add(Membership(MembershipVerb.Down, "Down the member: the cluster removes it at once (its trials are queued again); use for a box that is gone"));
        cluster.Subcommands.Add(DownUnreachable());
        cluster.Subcommands.Add(Join());
        return cluster;
    }

    public static Command CreateActor()
    {
        var actor = new Command("actor", "Look at the actors of a running node");
        actor.Subcommands.Add(Hierarchy());
        return actor;
    }

    private static string Age(double? seconds) => seconds switch
    {
        null => "?",
        < 120 => $"{seconds:0}s",
        < 7200 => $"{seconds / 60:0}m",
        < 172800 => $"{seconds / 3600:0}h",
        _ => $"{seconds / 86400:0}d",
    };

    /// <summary>An address argument: a full Akka address or host:port; anything else is bad input before the cluster is asked.</summary>
    private static string ValidAddress(string target)
    {
        if (target.Contains("://", StringComparison.Ordinal))
        {
            try
            {
                Akka.Actor.Address.Parse(target);
            }
            catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
            {
                throw new InvalidInputException($"address: '{target}' is not an Akka address such as akka.tcp://orchestrator@127.0.0.1:4053");
            }
            return target;
        }
        try
        {
            SeedAddress.Parse(target);
        }
        catch (FormatException ex)
        {
            throw new InvalidInputException($"address: {ex.Message}");
        }
        return target;
    }

    private static int PrintMemberCommand(MemberCommandResult done, bool json)
    {
        if (done.Refused is not null) throw new InvalidInputException(done.Refused + " (see `orchestrator cluster show`)");
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { verb = done.Verb, members = done.Members }, Tables.Json));
        else if (done.Members.Count == 0) Console.WriteLine("no unreachable member: nothing to down");
        else foreach (var m in done.Members) Console.WriteLine(done.Verb == MembershipVerb.Leave ? $"{m}: leaving" : $"{m}: downed");
        return ExitCodes.Ok;
    }

    private static Command Membership(MembershipVerb verb, string description)
    {
        var address = new Argument<string>("address") { Description = "The member's address (akka.tcp://orchestrator@host:port, or host:port)" };
        var json = CommonOptions.Json();
        var command = new Command(SpecSpelling<MembershipVerb>.Of(verb), description) { address, json };
        var client = ClusterClientOptions.AddCommandTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var target = ValidAddress(result.GetValue(address)!);
            var done = await client.AskAsync<MemberCommandResult>(result, (c, wait) => c.CommandAsync(new MemberCommand(verb, target), wait, ct));
            return PrintMemberCommand(done, result.GetValue(json));
        }, ct));
        return command;
    }

    private static Command DownUnreachable()
    {
        var json = CommonOptions.Json();
        var command = new Command("down-unreachable", "Down every member the cluster sees as unreachable (without waiting for the split-brain resolver)") { json };
        var client = ClusterClientOptions.AddCommandTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var done = await client.AskAsync<MemberCommandResult>(result, (c, wait) => c.CommandAsync(new MemberCommand(MembershipVerb.Down, null), wait, ct));
            return PrintMemberCommand(done, result.GetValue(json));
        }, ct));
        return command;
    }

    private static Command Join()
    {
        var seed = new Argument<string>("seed") { Description = "A node of the cluster to join (host:port, or akka.tcp://orchestrator@host:port)" };
        var json = CommonOptions.Json();
        var command = new Command("join", "The node at --contact (one that is in no cluster yet: its seeds never answered) joins the cluster of SEED")
        {
            seed, json,
        };
        var client = ClusterClientOptions.AddCommandTo(command, "The node that joins (exactly one)");
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var target = ValidAddress(result.GetValue(seed)!);
            var contacts = CommonOptions.ResolveAddresses(result, client.Contacts);
            if (contacts.Count != 1)
                throw new InvalidInputException($"--contact: cluster join acts on one node; give it as the one --contact (got {contacts.Count}: {string.Join(", ", contacts)})");
            var wait = client.Wait(result);
            // The node waits a second less than the client, so that its "not up yet" answer arrives in time.
            var joinWait = Math.Max(1, wait.TotalSeconds - 1);
            var done = await client.AskAsync<JoinResult>(result, (c, w) => c.CommandContactNodeAsync(new JoinCluster(target, joinWait), w, ct));
            if (done.Refused is not null) throw new InvalidInputException(done.Refused);
            if (done.Outcome == "joining")
                throw new ClusterUnreachableException($"node {done.Node} asked {done.Seed} to join but was not up within {joinWait:0.#} s " +
                                                      "(is a node of the cluster listening there?); it keeps trying");
            if (result.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { node = done.Node, seed = done.Seed, outcome = done.Outcome, members = done.Members }, Tables.Json));
            else
                Console.WriteLine(done.Outcome == "joined"
                    ? $"node {done.Node}: joined the cluster of {done.Seed} ({done.Members} member(s))"
                    : $"node {done.Node}: already a member of the cluster of {done.Seed} ({done.Members} member(s))");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Hierarchy()
    {
        var node = new Option<string?>("--node") { Description = "The node's address (default: the contact point that answers)" };
        var path = new Option<string>("--path") { Description = "Where the tree starts", DefaultValueFactory = _ => "/user" };
        var depth = new Option<int>("--depth") { Description = "Levels below --path", DefaultValueFactory = _ => 4 };
        var json = CommonOptions.Json();
        var command = new Command("hierarchy", "The actor tree of a node, with each trial actor's trial, backbone and state") { node, path, depth, json };
        var client = ClusterClientOptions.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var from = result.GetValue(path)!;
            if (!from.StartsWith("/user", StringComparison.Ordinal))
                throw new InvalidInputException($"--path: '{from}' is not under /user (e.g. /user or /user/slot-0)");
            var levels = result.GetValue(depth);
            if (levels is < 1 or > 10) throw new InvalidInputException($"--depth: {levels} is invalid (1..10)");
            var target = result.GetValue(node) is { } n ? ValidAddress(n) : null;
            var query = new GetActorTree(target, from, levels);
            var tree = await client.AskAsync<ActorTree>(result, (c, wait) =>
                target is null ? c.AskNodeAsync(query, wait, ct) : c.AskEveryNodeAsync(query, wait, ct));
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    node = tree.Node,
                    actors = tree.Actors.Select(a => new { path = a.Path, trial = a.Trial, backbone = a.Backbone, state = a.State }),
                }, Tables.Json));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"{tree.Node}{from}");
            var baseDepth = from.TrimEnd('/').Count(ch => ch == '/');
            foreach (var a in tree.Actors)
            {
                var indent = new string(' ', 2 * (a.Path.Count(ch => ch == '/') - baseDepth));
                var name = a.Path[(a.Path.LastIndexOf('/') + 1)..];
                Console.WriteLine(a.Trial is null ? $"{indent}{name}" : $"{indent}{name}  [{a.Backbone}: {a.State}]");
            }
            Console.WriteLine($"{tree.Actors.Count} actor(s)");
            return ExitCodes.Ok;
        }, ct));
        return command;
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
                        slots = m.Slots, busy = m.Busy, draining = m.Draining, appVersion = m.AppVersion, ageSeconds = m.AgeSeconds,
                    }),
                    unreachable = view.Members.Where(m => !m.Reachable).Select(m => m.Address),
                }, Tables.Json));
                return ExitCodes.Ok;
            }
            // Fits 80 columns: host:port instead of the whole address, no borders.
            var table = new Table().Border(TableBorder.None).AddColumns("member", "roles", "status", "reach", "slots", "busy", "version", "age");
            foreach (var m in view.Members)
                table.AddRow(Markup.Escape(SeedAddress.HostPortOf(m.Address)), string.Join(",", m.Roles), m.Status + (m.Draining > 0 ? "/drain" : ""),
                    m.Reachable ? "yes" : "NO", m.Slots.ToString(), m.Busy.ToString(), Markup.Escape(m.AppVersion ?? "?"), Age(m.AgeSeconds));
            AnsiConsole.Write(table);
            var up = view.Members.Count(m => m.Status == "up");
            var unreachable = view.Members.Where(m => !m.Reachable).ToList();
            Console.WriteLine($"{view.Members.Count} member(s), {up} up, {unreachable.Count} unreachable");
            Console.WriteLine($"coordinator {(view.Coordinator is null ? "not reachable" : SeedAddress.HostPortOf(view.Coordinator))}: " +
                              $"{view.Pending} pending, {view.Running} running trial(s)");
            if (unreachable.Count > 0) Console.WriteLine($"unreachable: {string.Join(", ", unreachable.Select(m => SeedAddress.HostPortOf(m.Address)))}");
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
        var json = CommonOptions.Json();
        var command = new Command("drain", "The node finishes its running trials and takes no new ones") { address, undo, json };
        var client = ClusterClientOptions.AddCommandTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(async () =>
        {
            var target = ValidAddress(result.GetValue(address)!);
            var draining = !result.GetValue(undo);
            var drained = await client.AskAsync<NodeDrained>(result, async (c, wait) =>
            {
                // The cluster's own view first: an unreachable cluster (exit 3) is not an unknown address (exit 2).
                var view = (ClusterView)await c.AskNodeAsync(new GetClusterView(), wait, ct);
                if (!view.Members.Any(m => NodeActor.Names(target, Akka.Actor.Address.Parse(m.Address))))
                    throw new InvalidInputException($"no member {target} in the cluster (members: {string.Join(", ", view.Members.Select(m => m.Address))})");
                return await c.CommandAsync(new DrainNode(target, draining), wait, ct, everyNode: true);
            });
            if (result.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { address = drained.Address, draining = drained.Draining, slots = drained.Slots }, Tables.Json));
            else
                Console.WriteLine(drained.Draining
                ? $"node {drained.Address}: draining ({drained.Slots} slot(s) finish their trials and take no new ones)"
                : $"node {drained.Address}: drain lifted ({drained.Slots} slot(s) ask for work again)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
