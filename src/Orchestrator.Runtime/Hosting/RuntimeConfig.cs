using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Events;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Wire;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Hosting;

/// <summary>Where this process's node listens, which roles it has and which seed nodes it joins.</summary>
public sealed record NodeOptions(string Host, int Port, IReadOnlyList<string> Roles, IReadOnlyList<SeedAddress> Seeds)
{
    public const string CoordinatorRole = "coordinator";
    public const string WorkerRole = "worker";
    public const int DefaultPort = 4053;

    /// <summary>A laptop run: a one-node cluster with both roles on loopback, on a free port, joining itself.</summary>
    public static NodeOptions Standalone { get; } = new("127.0.0.1", 0, [CoordinatorRole, WorkerRole], []);

    /// <summary>The key that commands changing the cluster must be signed with; null: this node takes none.</summary>
    public ControlKey? ControlKey { get; init; }

    /// <summary>First in its own seed list, beside other seeds: the node that may form the cluster when no other answers.</summary>
    public bool IsFirstOfSeveralSeeds => Seeds.Count > 1 && Port != 0 && Seeds[0].Port == Port &&
                                         string.Equals(Seeds[0].Host, Host, StringComparison.OrdinalIgnoreCase);

    public bool IsCoordinator => Roles.Contains(CoordinatorRole);
    public bool IsWorker => Roles.Contains(WorkerRole);
}

/// <summary>A seed node's host and port, as `--seed host:port` and ORCHESTRATOR_SEEDS spell it.</summary>
public sealed record SeedAddress(string Host, int Port)
{
    /// <summary>With TLS on (<see cref="RemoteTlsSettings.CertificateVariable"/> set) the cluster speaks akka.ssl.tcp.</summary>
    public string AkkaAddress => $"{RuntimeConfig.Scheme}://{RuntimeConfig.SystemName}@{Host}:{Port}";

    public override string ToString() => $"{Host}:{Port}";

    /// <summary>host:port of an Akka address (the inverse of <see cref="AkkaAddress"/>), for tables and pages that must stay narrow.</summary>
    public static string HostPortOf(string akkaAddress)
    {
        ArgumentNullException.ThrowIfNull(akkaAddress);
        return akkaAddress[(akkaAddress.IndexOf('@', StringComparison.Ordinal) + 1)..];
    }

    /// <exception cref="FormatException">Not host:port with a port in 1..65535.</exception>
    public static SeedAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535 || text[..colon].Any(c => char.IsWhiteSpace(c) || c == '/' || c == '@'))
            throw new FormatException($"'{text}' is not an address of the form host:port (e.g. 127.0.0.1:{NodeOptions.DefaultPort})");
        return new SeedAddress(text[..colon].Trim('[', ']'), port);
    }

    /// <summary>A comma- or space-separated list (ORCHESTRATOR_SEEDS).</summary>
    public static IReadOnlyList<SeedAddress> ParseList(string text) =>
        text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();
}

/// <summary>All of the actor system's configuration, in one place: what each kind of process (a cluster node, the CLI's
/// client of a cluster, a journal reader) adds to its Akka.Hosting builder.</summary>
public static class RuntimeConfig
{
    public const string SystemName = "orchestrator";

    /// <summary>The remoting protocol: akka.ssl.tcp when this process has a TLS certificate configured.</summary>
    public static string Scheme => Environment.GetEnvironmentVariable(RemoteTlsSettings.CertificateVariable) is { Length: > 0 } ? "akka.ssl.tcp" : "akka.tcp";

    /// <summary>A file of HOCON that overrides any of the settings below (failure detector, split-brain resolver, ...):
    /// the same file on every node.</summary>
    public const string OverridesVariable = "ORCHESTRATOR_AKKA_CONFIG";

    /// <summary>seed-node-timeout of a node first in its seed list: three gate windows of the other seeds' remoting.</summary>
    public static readonly TimeSpan FirstSeedTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan OtherSeedTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Training runs on threads of its own, never on the dispatchers the heartbeats use; the pause still
    /// allows for a loaded box (a GC pause, a saturated CPU) before a node is called unreachable.</summary>
    private static readonly TimeSpan AcceptableHeartbeatPause = TimeSpan.FromSeconds(10);

    /// <summary>The coordinator singleton's manager (at /user/sweep-coordinator) and the singleton under it.</summary>
    public const string CoordinatorManagerName = "sweep-coordinator";
    public const string CoordinatorSingletonName = "host";

    /// <summary>A cluster node: remoting bound to <paramref name="node"/>'s host, the cluster with its split-brain
    /// resolver, the ClusterClient receptionist, the SQL journals and snapshot store of <paramref name="store"/>, and,
    /// with <paramref name="tls"/>, mutual TLS on the cluster port. The coordinator singleton is added by the node.</summary>
    public static AkkaConfigurationBuilder Node(this AkkaConfigurationBuilder builder, StoreLocation store, NodeOptions node, RemoteTlsSettings? tls)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(node);
        builder
            .Remoting(node.Host, node.Port, tls)
            .WithClustering(new ClusterOptions
            {
                Roles = [.. node.Roles],
                // No seed nodes: the cluster would join them itself as the system starts, and a first seed would join
                // itself after seed-node-timeout while the node still asks its store whether that makes an island.
                // OrchestratorNode joins the seeds once it knows which.
                SeedNodes = [],
                // keep-oldest over all members: the coordinators are the seeds and start first, so the oldest member is
                // a coordinator node and its side (the queue, the journal's writer) survives; workers cut off from it
                // could get no work anyway. Not by the coordinator role: Akka applies down-if-alone only when two or
                // more role members remain, so two coordinators could not fail over. down-if-alone: an oldest node cut
                // off alone is downed and the rest carry on without it.
                SplitBrainResolver = new KeepOldestOption { DownIfAlone = true },
                FailureDetector = new PhiAccrualFailureDetectorOptions { AcceptableHeartbeatPause = AcceptableHeartbeatPause },
                LogInfo = false,
            })
            .WithClusterClientReceptionist()
            .AddHocon($$"""
                akka.cluster {
                  # How long a first seed asks the other seeds (again every second) before it forms a cluster of its
                  # own. Restarted at its old address, it is refused answers for a while: each other seed's remoting
                  # gates that address for retry-gate-closed-for (5 s) after every failed association, and they fail
                  # until the old incarnation is downed. Akka's 5 s let a restarted sole coordinator form an island
                  # beside its workers. Other seeds never join themselves and ask again after this long, so only a
                  # first seed waits longer; it still joins at once when every other seed answers that it is not in
                  # a cluster yet.
                  seed-node-timeout = {{(node.IsFirstOfSeveralSeeds ? FirstSeedTimeout : OtherSeedTimeout).TotalSeconds}}s
                  # A downed node's actor system terminates; the process then exits non-zero for its supervisor.
                  run-coordinated-shutdown-when-down = on
                  # Long enough for a slow training host to answer again before it is downed.
                  split-brain-resolver.stable-after = 20s
                  singleton.hand-over-retry-interval = 1s
                }
                # A node told to leave hands its trials back first (they stop at once, their journals kept).
                akka.coordinated-shutdown.phases.before-cluster-shutdown.timeout = 30s
                """, HoconAddMode.Prepend)
            .Persistence(store)
            .Logging(LogLevel.WarningLevel);
        return builder.Overrides();
    }

    /// <summary>The options of the coordinator singleton and of the proxies to it: on coordinator-role nodes.</summary>
    public static ClusterSingletonOptions CoordinatorSingleton { get; } = new()
    {
        Role = NodeOptions.CoordinatorRole,
        TerminationMessage = PoisonPill.Instance,
        BufferSize = 10000,
        // A node starts its proxy before it has joined; the warning would come on every start-up.
        LogSingletonIdentificationFailure = false,
    };

    /// <summary>The CLI talking to a running cluster: remoting on loopback (or <paramref name="host"/>) and a free port,
    /// no cluster membership; the ClusterClient is the caller's.</summary>
    public static AkkaConfigurationBuilder Client(this AkkaConfigurationBuilder builder, string host, RemoteTlsSettings? tls)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder
            .Remoting(host, 0, tls)
            .AddHocon("""
                akka.cluster.client { establishing-get-contacts-interval = 1s, refresh-contacts-interval = 10s, buffer-size = 100 }
                """, HoconAddMode.Prepend)
            // The client wraps each message in the receptionist's pub-sub Send / SendToAll: their binding is there.
            .AddHocon(ClusterClientReceptionist.DefaultConfig(), HoconAddMode.Append)
            .AddHocon(DistributedPubSub.DefaultConfig(), HoconAddMode.Append)
            .WireSerialization()
            .Logging(LogLevel.ErrorLevel);
        return builder.Overrides();
    }

    /// <summary>A process that only reads journals (the CLI's query commands): no remoting, no cluster.</summary>
    public static AkkaConfigurationBuilder Reader(this AkkaConfigurationBuilder builder, StoreLocation store)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Persistence(store).Logging(LogLevel.WarningLevel);
    }

    /// <summary>Akka.Remote bound to <paramref name="host"/>: what nodes and the CLI's client share. With TLS on, the
    /// transport's certificate and peer check come as a setup, never as HOCON (<see cref="RemoteTlsSettings"/>).</summary>
    private static AkkaConfigurationBuilder Remoting(this AkkaConfigurationBuilder builder, string host, int port, RemoteTlsSettings? tls)
    {
        builder.WithRemoting(new RemoteOptions
        {
            HostName = host,
            Port = port,
            // A launch carries its sweep's trial ids (about 20 bytes each): 8 MiB is room for 300,000 trials, where
            // the default 128 kB frame would refuse a sweep of 6,000.
            MaxFrameSize = 8 * 1024 * 1024,
            SendBufferSize = 8 * 1024 * 1024,
            ReceiveBufferSize = 8 * 1024 * 1024,
        });
        // A CLI client disconnecting is normal, not an error to print.
        builder.AddHocon("akka.remote.log-remote-lifecycle-events = off", HoconAddMode.Prepend);
        if (tls is not null)
        {
            builder.AddHocon(tls.Hocon(), HoconAddMode.Prepend);
            builder.AddSetup(tls.SslSetup());
        }
        // Strict: a type with no serializer binding of its own is refused on a remote send (an error naming it, the
        // association kept) instead of travelling through Akka's JSON serializer for System.Object: ours are
        // IWireMessages, and Akka's own messages (remoting, cluster, singleton, ClusterClient, persistence) and
        // strings have their bindings.
        return builder.WithStrictSerialization(true);
    }

    /// <summary>The journals of trials and of the coordinator and the snapshot store, on the store's database
    /// (<see cref="JournalSettings"/>), with the serializers of the events they hold.</summary>
    private static AkkaConfigurationBuilder Persistence(this AkkaConfigurationBuilder builder, StoreLocation store)
    {
        JournalSettings.AddTo(builder, store);
        builder.WithCustomSerializer("trial-events", [typeof(TrialEvent)], system => new TrialEventSerializer(system));
        builder.WithCustomSerializer("coordinator-events", [typeof(CoordinatorEvent), typeof(WorkQueueSnapshot)],
            system => new CoordinatorEventSerializer(system));
        return builder.WireSerialization();
    }

    /// <summary>The messages that cross the network (<see cref="IWireMessage"/>) through <see cref="WireSerializer"/>;
    /// first, every such type must be registered (<see cref="WireMessages.EnsureComplete"/>).</summary>
    private static AkkaConfigurationBuilder WireSerialization(this AkkaConfigurationBuilder builder)
    {
        WireMessages.EnsureComplete();
        return builder.WithCustomSerializer("wire", [typeof(IWireMessage)], system => new WireSerializer(system));
    }

    /// <summary>Log level, and no dead-letter logging (a stopping trial's late messages are expected). Events go to
    /// <see cref="ProcessLogger"/>: one line on the terminal, the details in the process's log file.</summary>
    private static AkkaConfigurationBuilder Logging(this AkkaConfigurationBuilder builder, LogLevel level)
    {
        builder.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLogger<ProcessLogger>();
            loggers.LogLevel = level;
        });
        return builder.AddHocon("""
            akka {
              # Akka's own stdout logger (before the loggers start, and after they stop) prints stack traces.
              stdout-loglevel = OFF
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              coordinated-shutdown.exit-clr = off
              # Ctrl+C belongs to the command: it stops the trials at their epoch boundary and hands them back before
              # the actor system is shut down, which Akka would otherwise start on its own.
              coordinated-shutdown.run-by-clr-shutdown-hook = off
            }
            """, HoconAddMode.Prepend);
    }

    /// <summary>Last, so that the file overrides whatever the builder set.</summary>
    private static AkkaConfigurationBuilder Overrides(this AkkaConfigurationBuilder builder)
    {
        var path = Environment.GetEnvironmentVariable(OverridesVariable);
        if (string.IsNullOrEmpty(path)) return builder;
        if (!File.Exists(path)) throw new FileNotFoundException($"${OverridesVariable}: no file at {path}", path);
        return builder.AddHocon(ConfigurationFactory.ParseString(File.ReadAllText(path)), HoconAddMode.Prepend);
    }
}
