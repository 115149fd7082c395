using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Catalogue;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

/// <summary>What a node's actor system, made through Akka.Hosting from <see cref="RuntimeConfig"/>, runs with: the
/// settings the cluster's fault handling depends on, the journals' plugin class, and the operator's override file on
/// top of all of them.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class RuntimeConfigTests : IDisposable
{
    private readonly TempDir _dir = new("orch-config-");

    private StoreLocation Store => StoreUrl.Parse($"sqlite:{_dir.File("store.db")}");

    private async Task<Config> NodeConfigAsync(NodeOptions options) => (await NodeAsync(options)).Config;

    private async Task<(Config Config, IActorRefProvider Provider)> NodeAsync(NodeOptions options)
    {
        await using var hosted = await HostedActorSystem.StartAsync(RuntimeConfig.SystemName, b => b.Node(Store, options, tls: null));
        return (hosted.System.Settings.Config, ((ExtendedActorSystem)hosted.System).Provider);
    }

    [Fact]
    public async Task A_node_runs_with_the_cluster_settings_its_fault_handling_relies_on()
    {
        var (config, provider) = await NodeAsync(NodeOptions.Standalone);

        provider.Should().BeOfType<Akka.Cluster.ClusterActorRefProvider>();
        config.GetStringList("akka.cluster.seed-nodes").Should().BeEmpty("the node joins the seeds it chose, after asking its store");
        config.GetTimeSpan("akka.cluster.seed-node-timeout").Should().Be(TimeSpan.FromSeconds(5));
        config.GetString("akka.cluster.downing-provider-class").Should().Contain("SplitBrainResolverProvider");
        config.GetString("akka.cluster.split-brain-resolver.active-strategy").Should().Be("keep-oldest");
        config.GetBoolean("akka.cluster.split-brain-resolver.keep-oldest.down-if-alone").Should().BeTrue();
        config.GetString("akka.cluster.split-brain-resolver.keep-oldest.role").Should().BeNullOrEmpty("over all members, not the coordinators");
        config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after").Should().Be(TimeSpan.FromSeconds(20));
        config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause").Should().Be(TimeSpan.FromSeconds(10));
        config.GetBoolean("akka.cluster.run-coordinated-shutdown-when-down").Should().BeTrue();
        config.GetBoolean("akka.coordinated-shutdown.run-by-clr-shutdown-hook").Should().BeFalse();
        config.GetBoolean("akka.actor.serialization-settings.allow-unregistered-types").Should().BeFalse();
        config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size").Should().Be(8 * 1024 * 1024);
        config.GetString("akka.remote.dot-netty.tcp.hostname").Should().Be("127.0.0.1");
        config.GetStringList("akka.loggers").Should().ContainSingle().Which.Should().Contain(nameof(ProcessLogger));
    }

    [Fact]
    public async Task Both_journals_are_the_product_s_own_on_the_store_and_the_trials_one_is_the_default()
    {
        var config = await NodeConfigAsync(NodeOptions.Standalone);

        config.GetString("akka.persistence.journal.plugin").Should().Be(JournalSettings.JournalPlugin);
        config.GetString("akka.persistence.snapshot-store.plugin").Should().Be(JournalSettings.SnapshotPlugin);
        foreach (var plugin in new[] { JournalSettings.JournalPlugin, JournalSettings.CoordinatorJournalPlugin })
        {
            config.GetString($"{plugin}.class").Should().StartWith(typeof(SqlJournal).FullName);
            config.GetString($"{plugin}.connection-string").Should().Contain(Store.DatabasePath);
        }
        config.GetTimeSpan("akka.persistence.query.journal.sql.refresh-interval").Should().Be(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_first_seed_waits_longer_for_the_other_seeds()
    {
        var first = NodeOptions.Standalone with { Port = 4711, Seeds = [new SeedAddress("127.0.0.1", 4711), new SeedAddress("127.0.0.1", 4712)] };
        var builder = new Akka.Hosting.AkkaConfigurationBuilder(new Microsoft.Extensions.DependencyInjection.ServiceCollection(), RuntimeConfig.SystemName)
            .Node(Store, first, tls: null);
        builder.Configuration.Value.GetTimeSpan("akka.cluster.seed-node-timeout").Should().Be(RuntimeConfig.FirstSeedTimeout);
        (await NodeConfigAsync(NodeOptions.Standalone)).GetTimeSpan("akka.cluster.seed-node-timeout").Should().Be(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_configuration_read_before_the_system_starts_gives_the_started_system_s_removal_time()
    {
        // A node restarted at its address waits this long before it joins (AddressMark), reading it from the builder.
        var builder = new Akka.Hosting.AkkaConfigurationBuilder(new Microsoft.Extensions.DependencyInjection.ServiceCollection(), RuntimeConfig.SystemName)
            .Node(Store, NodeOptions.Standalone, tls: null);
        var removal = OrchestratorNode.RemovalAfter(builder.Configuration.Value);

        removal.Should().Be(TimeSpan.FromSeconds(10 + 20 + 5), "acceptable heartbeat pause + stable-after + 5 s");
        OrchestratorNode.RemovalAfter(await NodeConfigAsync(NodeOptions.Standalone)).Should().Be(removal);
    }

    [Fact]
    public async Task The_operator_s_override_file_wins_over_every_setting()
    {
        var file = _dir.File("akka.conf");
        await File.WriteAllTextAsync(file, "akka.cluster.split-brain-resolver.stable-after = 3s\nakka.cluster.seed-node-timeout = 2s\n");
        var before = Environment.GetEnvironmentVariable(RuntimeConfig.OverridesVariable);
        Environment.SetEnvironmentVariable(RuntimeConfig.OverridesVariable, file);
        try
        {
            var config = await NodeConfigAsync(NodeOptions.Standalone);
            config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after").Should().Be(TimeSpan.FromSeconds(3));
            config.GetTimeSpan("akka.cluster.seed-node-timeout").Should().Be(TimeSpan.FromSeconds(2));
        }
        finally
        {
            Environment.SetEnvironmentVariable(RuntimeConfig.OverridesVariable, before);
        }
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>Tests that set the process's environment run alone: no other test's actor system may read it meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "process environment";
}
