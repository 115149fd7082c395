using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Trials;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>
/// Issue 24 item 1: who may command the cluster. Whoever reaches a node's port may ask it (queries stay open), but a
/// command that changes anything needs the operator's control key; and the coordinator cannot be reached from outside
/// the cluster at all, so a forged report of a finished trial goes nowhere.
/// </summary>
[Collection("cluster processes")]
public class ControlAuthTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static string AddressOf(RunningCli node) =>
        System.Text.RegularExpressions.Regex.Match(node.Output, @"node (akka\.tcp://\S+) is up").Groups[1].Value;

    [Fact]
    public async Task A_command_without_the_key_or_with_a_wrong_one_is_refused_and_changes_nothing_queries_stay_open()
    {
        await using var rig = ClusterRig.CreateSqlite();
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        var worker = rig.Worker("worker");
        await rig.WaitForOutputAsync(worker, " is up", Long);
        var key = rig.KeyFile;

        // Queries need no key.
        rig.Environment.Remove(ControlKey.FileVariable);
        (await rig.MemberCountAsync()).Should().Be(2);
        (await rig.RunAsync("cluster", "leader")).ExitCode.Should().Be(0);

        var none = await rig.RunAsync("cluster", "down", AddressOf(worker));
        none.ExitCode.Should().Be(2, none.Stdout);
        none.Stdout.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("error: no control key").And.Contain("--key-file");
        var cancel = await rig.RunAsync("sweep", "cancel", "nothing");
        cancel.ExitCode.Should().Be(2, cancel.Stdout);
        cancel.Stdout.Should().Contain("no control key");

        rig.Environment[ControlKey.FileVariable] = ControlKeyFile.Create(rig.Dir, "other.key");
        var wrong = await rig.RunAsync("cluster", "down", AddressOf(worker));
        wrong.ExitCode.Should().Be(2, wrong.Stdout);
        wrong.Stdout.Should().Contain("the cluster refused the command: wrong control key");
        await Task.Delay(2000);
        (await rig.MemberCountAsync()).Should().Be(2, "a refused down changes nothing");
        worker.Process.HasExited.Should().BeFalse();

        rig.Environment[ControlKey.FileVariable] = key;
        var down = await rig.RunAsync("cluster", "down", AddressOf(worker));
        down.ExitCode.Should().Be(0, down.Stdout + rig.Logs());
        using (var exit = new CancellationTokenSource(Long))
            await worker.Process.WaitForExitAsync(exit.Token);

        var audit = (await File.ReadAllLinesAsync(Path.Combine(rig.Dir, ".orchestrator", "logs", "audit.jsonl")))
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        audit.Should().Contain(e => e.GetProperty("outcome").GetString() == "refused" && e.GetProperty("reason").GetString()!.StartsWith("wrong control key"));
        audit.Should().Contain(e => e.GetProperty("outcome").GetString() == "accepted" && e.GetProperty("command").GetString() == "MemberCommand");
        File.ReadAllText(Path.Combine(rig.Dir, ".orchestrator", "logs", "audit.jsonl")).Should().NotContain(File.ReadAllText(key).Trim());
        var log = await rig.RunAsync("audit", "log");
        log.ExitCode.Should().Be(0, log.Stdout);
        log.Stdout.Should().Contain("refused MemberCommand").And.Contain("accepted MemberCommand");
    }

    [Fact]
    public async Task A_forged_WorkReturned_through_the_receptionist_cannot_end_a_running_trial()
    {
        await using var rig = ClusterRig.CreateSqlite();
        rig.Environment["ORCHESTRATOR_TEST_ENGINE"] = "sleep:4";  // seven epochs: still training when the forged reports are checked, ~10 s after epoch 1
        var coordinator = rig.Coordinator();
        await rig.WaitForOutputAsync(coordinator, "coordinator on .*: recovered", Long);
        await File.WriteAllTextAsync(Path.Combine(rig.Dir, "spec.yaml"), ClusterRig.Spec("forged", 1));
        (await rig.RunAsync("sweep", "launch", "spec.yaml")).ExitCode.Should().Be(0, rig.Logs());
        var worker = rig.Worker("worker");
        await rig.WaitForOutputAsync(worker, "epoch 1:", Long);

        // Whoever reaches the port: a ClusterClient of its own, no key.
        await using var hosted = await HostedActorSystem.StartAsync("intruder", b => b.Client("127.0.0.1", tls: null));
        var system = hosted.System;
        var contact = ActorPath.Parse($"akka.tcp://{RuntimeConfig.SystemName}@127.0.0.1:{rig.SeedPort}/system/receptionist");
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(ImmutableHashSet.Create(contact))));
        async Task<object?> Answered(string path, object message)
        {
            try
            {
                return await client.Ask<object>(new ClusterClient.Send(path, message, localAffinity: true), TimeSpan.FromSeconds(4));
            }
            catch (AskTimeoutException)
            {
                return null;
            }
        }
        (await Answered("/user/query", new GetClusterView())).Should().BeOfType<ClusterView>("queries are open to whoever reaches the port");
        (await Answered("/user/sweep-coordinator-proxy", new GetQueueStatus())).Should().BeNull("the coordinator is not reachable from outside the cluster");

        await using var store = await rig.OpenStoreAsync();
        var trial = (await store.ListTrialsAsync((await store.ListSweepsAsync()).Single().Id)).Single();
        var slot = $"{AddressOf(worker)}/user/slot-0";
        foreach (var path in new[] { "/user/sweep-coordinator-proxy", "/user/node", "/user/control", "/user/query" })
            foreach (var assignment in Enumerable.Range(1, 3))
                client.Tell(new ClusterClient.Send(path, new WorkReturned(slot, trial.Id, assignment, new TrialExit(TrialEnd.Completed), false)));
        (await Answered("/user/control", new MemberCommand(MembershipVerb.Down, AddressOf(worker)))).Should().BeOfType<ControlRefused>();
        await Task.Delay(3000);

        (await store.ListTrialsAsync(trial.SweepId)).Single().Status.Should().Be(TrialStatus.Running, "a forged report ends nothing: " + rig.Logs());
        await rig.WaitUntilAsync("the trial completed by training", ClusterRig.AllCompletedAsync, Long);
        await rig.AssertOneHistoryAsync(trial.Id.Value);
        worker.Process.HasExited.Should().BeFalse("an unsigned down downs nothing");
    }
}
