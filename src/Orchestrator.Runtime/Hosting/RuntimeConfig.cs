using Akka.Configuration;
using Orchestrator.Domain.Events;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Hosting;

/// <summary>Where this process's node listens and which roles it has.</summary>
public sealed record NodeOptions(string Host, int Port, IReadOnlyList<string> Roles)
{
    public const string CoordinatorRole = "coordinator";
    public const string WorkerRole = "worker";

    /// <summary>A laptop run: a one-node cluster with both roles on loopback, on a free port.</summary>
    public static NodeOptions Standalone { get; } = new("127.0.0.1", 0, [CoordinatorRole, WorkerRole]);
}

/// <summary>All of the actor system's configuration, in one place.</summary>
public static class RuntimeConfig
{
    public const string SystemName = "orchestrator";

    /// <summary>A cluster node: remoting bound to <paramref name="node"/>'s host, the SQL journal of <paramref name="store"/>.</summary>
    public static Config Node(StoreLocation store, NodeOptions node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var roles = string.Join(", ", node.Roles.Select(JournalSettings.Quote));
        return ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = WARNING
              stdout-loglevel = WARNING
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              actor.provider = cluster
              remote.dot-netty.tcp {
                hostname = {{JournalSettings.Quote(node.Host)}}
                port = {{node.Port}}
              }
              cluster {
                roles = [{{roles}}]
                # A one-node cluster joins itself; nothing to wait for at shutdown.
                run-coordinated-shutdown-when-down = on
              }
              coordinated-shutdown.exit-clr = off
              # Ctrl+C belongs to the command: it stops the trials at their epoch boundary and hands them back
              # before the actor system is shut down, which Akka would otherwise start on its own.
              coordinated-shutdown.run-by-clr-shutdown-hook = off
            }
            """)
            .WithFallback(Serialization())
            .WithFallback(ConfigurationFactory.ParseString(JournalSettings.Hocon(store)));
    }

    /// <summary>A process that only reads journals (the CLI's query commands): no remoting, no cluster.</summary>
    public static Config Reader(StoreLocation store) =>
        ConfigurationFactory.ParseString("""
            akka {
              loglevel = WARNING
              stdout-loglevel = WARNING
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
            }
            """)
            .WithFallback(Serialization())
            .WithFallback(ConfigurationFactory.ParseString(JournalSettings.Hocon(store)));

    private static Config Serialization()
    {
        var serializer = typeof(TrialEventSerializer).AssemblyQualifiedNameWithoutVersion();
        var events = typeof(TrialEvent).AssemblyQualifiedNameWithoutVersion();
        return ConfigurationFactory.ParseString($$"""
            akka.actor {
              serializers.trial-events = {{JournalSettings.Quote(serializer)}}
              serialization-bindings { {{JournalSettings.Quote(events)}} = trial-events }
            }
            """);
    }

    private static string AssemblyQualifiedNameWithoutVersion(this Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}
