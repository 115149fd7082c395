using Orchestrator.Runtime;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Domain.Events;
using Orchestrator.Engine.Datasets;
using Orchestrator.Store;
using Orchestrator.Store.Sqlite;

namespace Orchestrator.Runtime.Tests;

/// <summary>A temp folder with a small synthetic dataset, a SQLite store and a registered sweep.</summary>
public sealed class SweepFixture : IAsyncDisposable
{
    private SweepFixture(string root, SqliteStore store, PlannedSweep sweep)
    {
        Root = root;
        Store = store;
        Sweep = sweep;
    }

    public string Root { get; }
    public SqliteStore Store { get; }
    public PlannedSweep Sweep { get; }
    public string Artifacts => Path.Combine(Root, "artifacts");

    public static async Task<SweepFixture> CreateAsync(string yamlBody)
    {
        var root = Path.Combine(Path.GetTempPath(), "orch-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var data = Path.Combine(root, "data");
        SyntheticDatasetBuilder.Build(data, 84, 16, 3);
        var yaml = $"name: test\ndata: {{ path: {data} }}\n{yamlBody}";
        var sweep = SweepPlanner.Plan(yaml);
        var store = await SqliteStore.OpenAsync(Path.Combine(root, "store.db"));
        await SweepPlanner.RegisterAsync(store, sweep, DateTimeOffset.UtcNow, CancellationToken.None);
        return new SweepFixture(root, store, sweep);
    }

    public LocalCluster Cluster(TrainerFactory trainers, int workers = 2, TimeSpan? lease = null) =>
        new(Store, Artifacts, trainers, NullRunObserver.Instance, TimeProvider.System,
            new LocalClusterOptions(workers, lease ?? TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)));

    public async Task<List<(long Seq, TrialEvent Event)>> EventsAsync(string trialId) =>
        (await Store.ReadStreamAsync(trialId)).Select(e => (e.Seq, EventCatalog.Deserialize(e.Type, e.Payload))).ToList();

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
