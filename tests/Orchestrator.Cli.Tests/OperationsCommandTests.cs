using System.Text.Json;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// The operations commands against a live three-node cluster of real processes on loopback (a coordinator and two
/// workers on one SQLite file), through the CLI's ClusterClient: members, the actor tree of a busy worker, a worker
/// told to leave, a worker killed until the split-brain resolver removes it.
/// </summary>
[Collection("cluster processes")]
public class OperationsCommandTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static async Task<JsonElement> JsonOfAsync(ClusterRig rig, params string[] args)
    {
        var result = await rig.RunAsync([.. args, "--json"]);
        result.ExitCode.Should().Be(0, result.Stdout);
        using var document = JsonDocument.Parse(result.Stdout);
        return document.RootElement.Clone();
    }

    private static async Task<JsonElement> MembersUntilAsync(ClusterRig rig, Func<List<JsonElement>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var show = await JsonOfAsync(rig, "cluster", "show");
            if (done(show.GetProperty("members").EnumerateArray().ToList())) return show;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: last seen {show}\n{rig.Logs()}");
            await Task.Delay(500);
        }
    }

    /// <summary>A SQLite rig with a coordinator and a launched sweep of <paramref name="trials"/> trials of 7 epochs.</summary>
    private static async Task<(ClusterRig Rig, RunningCli Coordinator)> LaunchedAsync(string name, int trials, double epochSeconds,
        int? stableAfterSeconds = null)
    {
        var rig = ClusterRig.CreateSqlite();
        rig.Environment["ORCHESTRATOR_TEST_ENGINE"] = FormattableString.Invariant($"sleep:{epochSeconds}");
        if (stableAfterSeconds is { } stable)
        {
            var conf = Path.Combine(rig.Dir, "akka-downing.conf");
            await File.WriteAllTextAsync(conf, $"akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s\nakka.cluster.split-brain-resolver.stable-after = {stable}s\n");
            rig.Environment["ORCHESTRATOR_AKKA_CONFIG"] = conf;
        }
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec(name, trials));
        (await rig.RunAsync("sweep", "launch", "spec.yaml")).ExitCode.Should().Be(0, rig.Logs());
        return (rig, coordinator);
    }

    private static string AddressOf(RunningCli node) =>
        System.Text.RegularExpressions.Regex.Match(node.Output, @"node (akka\.tcp://\S+) is up").Groups[1].Value;

    [Fact]
    public async Task A_three_node_cluster_is_shown_its_busy_worker_s_actors_listed_a_left_worker_exits_cleanly_and_a_killed_one_goes()
    {
        // 7 epochs of 6 s: the trials still run when the worker is told to leave, even on a loaded CI box; a split-brain
        // resolver slow enough (20 s) that the CLI's polls see the killed worker unreachable before it is downed.
        var (rig, coordinator) = await LaunchedAsync("ops", 2, 6, stableAfterSeconds: 20);
        await using var _ = rig;
        var leaving = rig.Worker("worker-a");
        var killed = rig.Worker("worker-b");
        await rig.WaitForOutputAsync(leaving, @"epoch 1:", Long);
        await rig.WaitForOutputAsync(killed, @"epoch 1:", Long);

        var show = await MembersUntilAsync(rig, m => m.Count == 3 && m.All(x => x.GetProperty("status").GetString() == "up"), "three up members");
        var members = show.GetProperty("members").EnumerateArray().ToList();
        members.Select(m => m.GetProperty("roles")[0].GetString()).Should().BeEquivalentTo(["coordinator", "worker", "worker"]);
        members.Where(m => m.GetProperty("roles")[0].GetString() == "worker").Should()
            .OnlyContain(m => m.GetProperty("slots").GetInt32() == 1 && m.GetProperty("busy").GetInt32() == 1);
        members.Should().OnlyContain(m => m.GetProperty("appVersion").GetString()!.Length > 0 && m.GetProperty("ageSeconds").GetDouble() >= 0);
        var table = await rig.RunAsync("cluster", "show");
        table.Stdout.Split('\n').Should().OnlyContain(line => line.TrimEnd().Length <= 80, "the human form fits an 80-column terminal");
        table.Stdout.Should().Contain("3 member(s), 3 up, 0 unreachable");
        (await JsonOfAsync(rig, "cluster", "leader")).GetProperty("coordinator").GetString().Should().Be(AddressOf(coordinator));

        var tree = await JsonOfAsync(rig, "actor", "hierarchy", "--node", AddressOf(leaving));
        tree.GetProperty("node").GetString().Should().Be(AddressOf(leaving));
        var trialActors = tree.GetProperty("actors").EnumerateArray().Where(a => a.GetProperty("trial").ValueKind == JsonValueKind.String).ToList();
        trialActors.Should().NotBeEmpty(rig.Logs());
        trialActors.Should().OnlyContain(a => a.GetProperty("backbone").GetString() == "lightweight-cnn" && a.GetProperty("state").GetString()!.StartsWith("training"));
        tree.GetProperty("actors").EnumerateArray().Select(a => a.GetProperty("path").GetString()).Should().Contain("/user/node");

        leaving.Output.Should().NotContain("completed:", "its trial still runs when it is told to leave");
        var leave = await rig.RunAsync("cluster", "leave", AddressOf(leaving));
        leave.ExitCode.Should().Be(0, leave.Stdout);
        using (var exit = new CancellationTokenSource(Long))
            await leaving.Process.WaitForExitAsync(exit.Token);
        leaving.Process.ExitCode.Should().Be(0, "a node told to leave exits cleanly: " + rig.Logs());
        coordinator.Output.Should().Contain("handed back", "its trial went back to the queue before it left");

        killed.Kill9();
        await MembersUntilAsync(rig, m => m.Any(x => !x.GetProperty("reachable").GetBoolean()), "the killed worker shown unreachable");
        await MembersUntilAsync(rig, m => m.Count == 1, "the killed worker removed by the split-brain resolver");

        var unknown = await rig.RunAsync("cluster", "down", "127.0.0.1:1");
        unknown.ExitCode.Should().Be(2, unknown.Stdout);
        unknown.Stdout.Should().Contain("no member 127.0.0.1:1");
        (await rig.RunAsync("cluster", "leave", "not-an-address")).ExitCode.Should().Be(2);
        (await rig.RunAsync("cluster", "down-unreachable")).Stdout.Should().Contain("no unreachable member");
    }

    [Fact]
    public async Task Cluster_leader_names_the_singleton_s_node_and_moves_when_that_node_leaves()
    {
        await using var rig = ClusterRig.CreateSqlite();
        var first = rig.Coordinator("coordinator-1");
        await rig.WaitForOutputAsync(first, "coordinator on .*: recovered", Long);
        var secondPort = ClusterRig.FreePort();
        var second = rig.Coordinator("coordinator-2", secondPort);
        await rig.WaitForOutputAsync(second, " is up", Long);
        (await JsonOfAsync(rig, "cluster", "leader")).GetProperty("coordinator").GetString().Should().Be(AddressOf(first));

        (await rig.RunAsync("cluster", "leave", AddressOf(first))).ExitCode.Should().Be(0, rig.Logs());
        using (var exit = new CancellationTokenSource(Long))
            await first.Process.WaitForExitAsync(exit.Token);
        first.Process.ExitCode.Should().Be(0, "a coordinator told to leave exits cleanly: " + rig.Logs());
        await rig.WaitForOutputAsync(second, "coordinator on .*: recovered", Long);

        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var leader = await JsonOfAsync(rig, "cluster", "leader", "--contact", $"127.0.0.1:{secondPort}");
            if (leader.GetProperty("coordinator").GetString() == AddressOf(second))
            {
                leader.GetProperty("leader").GetString().Should().Be(AddressOf(second), "the one member left leads");
                break;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the coordinator did not move: {leader}\n{rig.Logs()}");
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Sweep_status_and_trial_show_answer_from_the_live_trial_actors_and_without_a_cluster_from_the_journal()
    {
        var (rig, coordinator) = await LaunchedAsync("live", 1, 4);
        await using var _ = rig;
        var worker = rig.Worker("worker");
        await rig.WaitUntilAsync("two epochs journaled", async _ => await rig.JournaledEpochsAsync() >= 2, Long);

        var status = await JsonOfAsync(rig, "sweep", "status", "live");
        var journaled = await rig.JournaledEpochsAsync();
        status.GetProperty("source").GetString().Should().Be("cluster");
        var live = status.GetProperty("live").EnumerateArray().Single();
        live.GetProperty("epoch").GetInt32().Should().BeInRange(journaled - 1, journaled + 1, "the live epoch is within one epoch of the journal");
        live.GetProperty("node").GetString().Should().Be(AddressOf(worker));
        live.GetProperty("slot").GetString().Should().Be("slot-0");
        live.GetProperty("backbone").GetString().Should().Be("lightweight-cnn");
        var trialId = live.GetProperty("trialId").GetString()!;
        var shown = await rig.RunAsync("trial", "show", trialId);
        shown.Stdout.Should().Contain($"live: {trialId} on ").And.Contain("slot-0: epoch");

        foreach (var process in new[] { worker, coordinator }) process.Kill9();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // A timeout far above what the command takes on a busy box: were it waited for, the test would see it.
        var offline = await rig.RunAsync("sweep", "status", "live", "--json", "--timeout", "60");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "no contact point listens: no wait for the client's timeout");
        offline.ExitCode.Should().Be(0, offline.Stdout);
        offline.Stdout.Should().Contain("shown from the journal").And.Contain("\"source\": \"journal\"");
        offline.Stdout.Split('\n').Count(l => l.Contains("shown from the journal")).Should().Be(1, "said in one line");
    }

    [Fact]
    public async Task Node_drain_stops_new_work_on_a_node_while_its_running_trial_completes()
    {
        var (rig, coordinator) = await LaunchedAsync("drain", 2, 1.5);
        await using var _ = rig;
        var worker = rig.Worker("worker");
        await rig.WaitForOutputAsync(worker, @"epoch 1:", Long);

        var drained = await JsonOfAsync(rig, "node", "drain", AddressOf(worker));
        drained.GetProperty("draining").GetBoolean().Should().BeTrue();
        drained.GetProperty("slots").GetInt32().Should().Be(1);
        await rig.WaitForOutputAsync(worker, "completed: test accuracy", Long);
        await Task.Delay(TimeSpan.FromSeconds(4)); // two registrations: a draining slot asks for nothing
        System.Text.RegularExpressions.Regex.Matches(worker.Output, " started").Count.Should().Be(1, "the drained node took no second trial: " + rig.Logs());
        (await JsonOfAsync(rig, "cluster", "show")).GetProperty("pending").GetInt32().Should().Be(1);

        (await JsonOfAsync(rig, "node", "drain", AddressOf(worker), "--undo")).GetProperty("draining").GetBoolean().Should().BeFalse();
        await rig.WaitUntilAsync("the second trial completed once the drain was lifted", ClusterRig.AllCompletedAsync, Long);
        coordinator.Output.Should().Contain("has ended: 2 completed");
    }

    [Fact]
    public async Task Cluster_join_lets_a_worker_whose_seed_never_answered_join_the_running_cluster_and_take_its_work()
    {
        var (rig, coordinator) = await LaunchedAsync("join", 1, 0.5);
        await using var _ = rig;
        var workerPort = ClusterRig.FreePort();
        var nowhere = ClusterRig.FreePort();
        var worker = rig.Worker("worker", 1, "--port", workerPort.ToString(), "--seed", $"127.0.0.1:{nowhere}");
        var contact = $"127.0.0.1:{workerPort}";
        var seed = $"127.0.0.1:{rig.SeedPort}";

        (await rig.RunAsync("cluster", "join", seed, "--contact", contact, "--contact", seed)).ExitCode.Should().Be(2, "join acts on one node");
        (await rig.RunAsync("cluster", "join", "no-port", "--contact", contact)).ExitCode.Should().Be(2);
        var silent = await rig.RunAsync("cluster", "join", seed, "--contact", $"127.0.0.1:{nowhere}", "--timeout", "2");
        silent.ExitCode.Should().Be(3, silent.Stdout);
        silent.Stdout.Trim().Split('\n').Should().ContainSingle("one line");

        (await JsonOfAsync(rig, "cluster", "show")).GetProperty("members").GetArrayLength().Should().Be(1, "the worker is in no cluster yet");
        worker.Output.Should().NotContain(" is up");
        // The worker's node may still be starting: until it listens, the join is "no answer" (exit 3).
        var deadline = DateTime.UtcNow + Long;
        CliResult joined;
        while ((joined = await rig.RunAsync("cluster", "join", seed, "--contact", contact, "--json")).ExitCode == 3 && DateTime.UtcNow < deadline)
            await Task.Delay(500);
        joined.ExitCode.Should().Be(0, joined.Stdout + rig.Logs());
        using (var document = JsonDocument.Parse(joined.Stdout))
        {
            document.RootElement.GetProperty("outcome").GetString().Should().Be("joined");
            document.RootElement.GetProperty("node").GetString().Should().EndWith($":{workerPort}");
        }
        await rig.WaitForOutputAsync(worker, " is up", Long);
        await MembersUntilAsync(rig, m => m.Count == 2 && m.All(x => x.GetProperty("status").GetString() == "up"), "the joined worker up");
        await rig.WaitUntilAsync("the launched trial completed on the joined worker", ClusterRig.AllCompletedAsync, Long);
        // The row can be written before the worker's output reader has its line: waited for, not read at once.
        await rig.WaitForOutputAsync(worker, "completed: test accuracy", Long);

        var again = await rig.RunAsync("cluster", "join", seed, "--contact", contact);
        again.ExitCode.Should().Be(0, again.Stdout);
        again.Stdout.Should().Contain("already a member of the cluster of");
        var elsewhere = await rig.RunAsync("cluster", "join", $"127.0.0.1:{nowhere}", "--contact", contact);
        elsewhere.ExitCode.Should().Be(2, elsewhere.Stdout);
        elsewhere.Stdout.Should().Contain("is already a member of a cluster").And.Contain("--seed");
        coordinator.Output.Should().Contain("has ended: 1 completed");
    }
}
