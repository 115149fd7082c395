using Akka.Actor;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Hosting;

/// <summary>For the query commands: an actor system with no remoting and no cluster, only the read journal.</summary>
public sealed class JournalReaderHost : IAsyncDisposable
{
    private readonly Lazy<JournalWatch> _watch;
    private readonly HostedActorSystem _hosted;

    private JournalReaderHost(HostedActorSystem hosted)
    {
        _hosted = hosted;
        var system = System = hosted.System;
        Journal = new TrialJournalReader(system);
        // Made on first use: only the dashboard watches; the query commands would pay for its read journal and
        // materializer at start for nothing.
        _watch = new Lazy<JournalWatch>(() => new JournalWatch(system));
    }

    public ActorSystem System { get; }

    public TrialJournalReader Journal { get; }

    /// <summary>Live watches of the journals (the dashboard's pushed updates).</summary>
    public JournalWatch Watch => _watch.Value;

    /// <summary>Not on an actor's thread: it waits for the journal's tables to be made (<see cref="JournalSchema"/>).</summary>
    public static JournalReaderHost Start(StoreLocation store)
    {
        JournalSchema.EnsureAsync(store).GetAwaiter().GetResult();
        return new(HostedActorSystem.Start(RuntimeConfig.SystemName, builder => builder.Reader(store)));
    }

    public async ValueTask DisposeAsync()
    {
        if (_watch.IsValueCreated) _watch.Value.Dispose();
        await _hosted.DisposeAsync().ConfigureAwait(false);
    }
}
