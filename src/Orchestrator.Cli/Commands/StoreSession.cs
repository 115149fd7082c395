using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;

namespace Orchestrator.Cli.Commands;

/// <summary>A query command's view of a store: its rows, and its trial journals through the read journal (an actor
/// system started on first use, with no remoting).</summary>
public sealed class StoreSession : IAsyncDisposable
{
    private readonly Lazy<JournalReaderHost> _reader;

    private StoreSession(ISweepCatalogue store, StoreLocation location)
    {
        Store = store;
        Location = location;
        _reader = new Lazy<JournalReaderHost>(() => JournalReaderHost.Start(location));
    }

    public ISweepCatalogue Store { get; }

    public StoreLocation Location { get; }

    public TrialJournalReader Journal => _reader.Value.Journal;

    public JournalWatch Watch => _reader.Value.Watch;

    /// <summary>Opens a store for a query; a query never creates one.</summary>
    public static async Task<StoreSession> OpenExistingAsync(string url, CancellationToken ct) =>
        new(await CommonOptions.OpenExistingStoreAsync(url, ct), StoreUrl.Parse(url));

    public async ValueTask DisposeAsync()
    {
        if (_reader.IsValueCreated) await _reader.Value.DisposeAsync();
        await Store.DisposeAsync();
    }
}
