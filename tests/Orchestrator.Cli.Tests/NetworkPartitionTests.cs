using Orchestrator.Domain.Events;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>Skipped, with the reason, unless root with `ip netns` and PostgreSQL server binaries.</summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public override string? Skip
    {
        get => Environment.UserName != "root" ? "SKIPPED: the network-namespace test needs root (ip netns)"
            : !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") ? "SKIPPED: no `ip` command (iproute2) for network namespaces"
            : PostgresTestServer.Url is null ? PostgresTestServer.SkipReason
            : base.Skip;
        set => base.Skip = value;
    }
}

/// <summary>
/// PostgreSQL, the coordinator and two workers each in a network namespace of their own, joined by veth pairs
/// to one bridge (scripts/netns-lab.sh). Worker 1 is unplugged: alone, without the oldest node, it downs itself and
/// exits non-zero; the majority side's coordinator hands its trial to worker 2; the journal keeps one history.
/// </summary>
[Collection("cluster processes")]
public class NetworkPartitionTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [NetnsFact]
    public async Task A_worker_cut_off_downs_itself_its_trial_resumes_on_the_majority_side_and_its_late_writes_do_not_count()
    {
        var prefix = "o" + Guid.NewGuid().ToString("N")[..4];
        string[] nodes = ["pg", "coord", "w1", "w2", "root"];
        Lab("up", prefix, nodes);
        var pgDir = Path.Combine(Path.GetTempPath(), "orch-pgns-" + prefix);
        try
        {
            var local = Run("ip", "netns", "exec", $"{prefix}-pg", "env", "PG_LISTEN=10.231.0.1", Script("pg-test-server.sh"), "start", pgDir).Trim();
            var url = local.Replace("127.0.0.1", "10.231.0.1");
            await using var rig = await ClusterRig.CreateAsync(url);
            await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec("partition", 1));
            // Epochs long enough for worker 2 to start on a loaded box before worker 1 is done.
            rig.Environment["ORCHESTRATOR_TEST_ENGINE"] = "sleep:3";

            // Node i of the lab has 10.231.0.i: pg 1, coord 2, w1 3, w2 4.
            rig.Environment["ORCHESTRATOR_SEEDS"] = $"10.231.0.2:{rig.SeedPort}";
            rig.Namespace = $"{prefix}-coord";
            var coordinator = rig.Coordinator("coordinator", null, "--host", "10.231.0.2");
            await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
            // The CLI's client binds to loopback: launched from the coordinator's namespace, its answer comes back.
            (await rig.RunAsync("sweep", "launch", "spec.yaml")).ExitCode.Should().Be(0, rig.Logs());
            rig.Namespace = $"{prefix}-w1";
            var cutOff = rig.Worker("worker-1", 1, "--host", "10.231.0.3");
            await rig.WaitUntilAsync("worker 1 journaled an epoch", async _ => await rig.JournaledEpochsAsync() >= 1, Long);
            rig.Namespace = $"{prefix}-w2";
            var second = rig.Worker("worker-2", 1, "--host", "10.231.0.4");
            await rig.WaitForOutputAsync(second, "is up", Long);

            Lab("cut", prefix, "w1");
            await rig.WaitUntilAsync("worker 2 journaled an epoch in a new attempt", async s =>
            {
                return await rig.EpochJournaledByAttemptAsync(s, 2);
            }, Long);
            Lab("heal", prefix, "w1");

            await rig.WaitUntilAsync("the sweep completed", ClusterRig.AllCompletedAsync, Long);
            // Cut off alone, without the oldest node, worker 1's split-brain resolver downed its own side:
            // its process exits non-zero (for its supervisor to start afresh) and its trial stopped there.
            using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                await cutOff.Process.WaitForExitAsync(exit.Token);
            cutOff.Process.ExitCode.Should().Be(1, rig.Logs());
            cutOff.Output.Should().Contain("this node was removed from the cluster", rig.Logs());
            coordinator.Output.Should().MatchRegex(@"handed back \(its node left the cluster \d+ s ago\)", rig.Logs(), "a removed node's trial waits the removal margin");

            await using var store = await rig.OpenStoreAsync();
            var id = (await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id)).Single().Id;
            var stored = await rig.AssertOneHistoryAsync(id.Value);
            stored.Select(e => e.Attempt).Distinct().Should().HaveCount(2, "worker 1's writes after the takeover do not count");
            // Whatever worker 1 managed to write late (none when the cut also kept it from the database) is superseded.
            var late = (await Journals.ReadAsync(rig.StoreUrl, id.Value)).Count(e => e.Superseded);
            Console.WriteLine($"partition: {late} late event(s) of the cut-off worker, all superseded");
        }
        finally
        {
            try { Run(Script("pg-test-server.sh"), "stop", pgDir); } catch (InvalidOperationException) { }
            Lab("down", prefix, nodes);
            try { Directory.Delete(pgDir, recursive: true); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }

    private static void Lab(string action, string prefix, params string[] nodes) =>
        Run(Script("netns-lab.sh"), [action, prefix, .. nodes]);

    private static string Script(string name) => RepoScripts.PathOf(name);

    private static string Run(string file, params string[] args) => RepoScripts.Run(file, args);
}
