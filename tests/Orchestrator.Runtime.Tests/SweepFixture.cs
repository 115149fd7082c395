using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Runtime.Trials;
using Orchestrator.Catalogue;
using Orchestrator.Catalogue.Sqlite;

namespace Orchestrator.Runtime.Tests;

/// <summary>A temp folder with a manifest-only dataset, a SQLite store, a registered sweep and a one-node actor system
/// whose journal is that store's.</summary>
public sealed class SweepFixture : IAsyncDisposable
{
    private static int _runs;

    private SweepFixture(string root, SqliteCatalogue store, PlannedSweep sweep, OrchestratorNode node)
    {
        Root = root;
        Store = store;
        Sweep = sweep;
        Node = node;
    }

    public string Root { get; }
    public SqliteCatalogue Store { get; }
    public PlannedSweep Sweep { get; }
    public OrchestratorNode Node { get; }
    public DatasetCache Datasets { get; } = new(ManifestDataset.Open);
    public string Artifacts => Path.Combine(Root, "artifacts");
    public string DataPath => Path.Combine(Root, "data");

    public static async Task<SweepFixture> CreateAsync(string yamlBody, CoordinatorSettings? settings = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "orch-runtime-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        ManifestDataset.Write(Path.Combine(root, "data"), 100);
        var sweep = SweepPlanner.Plan(Yaml(root, yamlBody));
        var path = Path.Combine(root, "store.db");
        var store = await SqliteCatalogue.OpenAsync(path);
        await SweepPlanner.RegisterAsync(store, sweep, DateTimeOffset.UtcNow, CancellationToken.None);
        var node = await OrchestratorNode.StartAsync(StoreUrl.Parse("sqlite:" + path), NodeOptions.Standalone, store, NullRunObserver.Instance, settings: settings);
        return new SweepFixture(root, store, sweep, node);
    }

    public static string Yaml(string root, string body) => $"name: test\ndata: {{ path: {Path.Combine(root, "data")} }}\n{body}";

    public TrialServices Services(TrainerFactory trainers, IRunObserver? observer = null) =>
        new(Artifacts, Datasets, trainers, observer ?? NullRunObserver.Instance, MinBackoff: TimeSpan.FromMilliseconds(50));

    /// <summary>Runs the sweep on <paramref name="workers"/> slots of this fixture's node until every trial has ended.</summary>
    public Task<IReadOnlyList<TrialRecord>> RunAsync(TrainerFactory trainers, int workers = 2, CancellationToken ct = default,
        IRunObserver? observer = null)
    {
        var run = Interlocked.Increment(ref _runs);
        var slots = Enumerable.Range(0, workers).Select(i => $"run{run}-slot-{i}").ToList();
        return Node.RunSweepAsync(Store, Sweep, Services(trainers, observer), slots, ct);
    }

    public Task<IReadOnlyList<JournaledEvent>> EventsAsync(string trialId) => Node.Journal.ReadAsync(trialId);

    public async Task<List<Orchestrator.Domain.Events.TrialEvent>> EffectiveAsync(string trialId) =>
        [.. await Node.Journal.EffectiveAsync(trialId)];

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        Datasets.Dispose();
        await Store.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
