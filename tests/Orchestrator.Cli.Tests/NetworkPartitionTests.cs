using Orchestrator.Domain.Events;
using Orchestrator.Tests.Shared;

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
/// to one bridge (scripts/netns-lab.sh). Worker 1 is unplugged past its lease, its trial moves to worker 2,
/// then it is plugged back in: the append it kept retrying reaches the store and is refused, and it says so; the
/// journal keeps one history.
/// </summary>
[Collection("cluster processes")]
public class NetworkPartitionTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [NetnsFact]
    public async Task A_worker_cut_off_past_its_lease_loses_its_trial_and_its_late_writes_are_refused_after_reconnecting()
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
            (await rig.RunAsync("sweep", "launch", "spec.yaml")).ExitCode.Should().Be(0, rig.Logs());

            rig.Namespace = $"{prefix}-coord";
            var coordinator = rig.Coordinator();
            rig.Namespace = $"{prefix}-w1";
            var cutOff = rig.Worker("worker-1", lease: 4);
            await rig.WaitUntilAsync("worker 1 journaled an epoch", async _ => await rig.JournaledEpochsAsync() >= 1, Long);
            rig.Namespace = $"{prefix}-w2";
            rig.Worker("worker-2", lease: 4);

            Lab("cut", prefix, "w1");
            await rig.WaitUntilAsync("worker 2 journaled an epoch under a new lease", async s =>
            {
                return await rig.EpochJournaledByAttemptAsync(s, 2);
            }, Long);
            Lab("heal", prefix, "w1");

            await rig.WaitUntilAsync("the sweep completed", ClusterRig.AllCompletedAsync, Long);
            // Once plugged back in, worker 1 learns that its trial was taken over: its lease renewal is refused, or the
            // journal refuses its late write (the sequence number is taken by attempt 2); either way it says so and stops.
            var refused = new System.Text.RegularExpressions.Regex(@"lease lost|journal write \d+ refused");
            var deadline = DateTime.UtcNow.AddSeconds(45);
            while (!refused.IsMatch(cutOff.Output) && DateTime.UtcNow < deadline) await Task.Delay(250);
            cutOff.Output.Should().MatchRegex(refused.ToString(), rig.Logs());
            coordinator.Output.Should().MatchRegex("node .* -> (Unreachable|Down)", rig.Logs());

            await using var store = await rig.OpenStoreAsync();
            var id = (await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id)).Single().Id;
            var stored = await rig.AssertOneHistoryAsync(id);
            stored.Select(e => e.Attempt).Distinct().Should().HaveCount(2, "worker 1's writes after the takeover do not count");
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
