namespace Orchestrator.Cli.Tests;

/// <summary>A tiny real sweep run once for the report tests: lightweight-cnn, dynamic against fixed top-n with
/// two candidate depths, 3 epochs on 140 synthetic 32x32 images; then `sweep report` into <see cref="ReportDir"/>.</summary>
public sealed class ReportedSweep : IAsyncLifetime
{
    public const string Spec = """
        name: report-e2e
        data: { path: data, synthesize: { images: 140, size: 32, seed: 2 } }
        backbones: [lightweight-cnn]
        strategies: [dynamic, fixed-top-n]
        inputSize: 32
        batchSize: 16
        hyperparameters: { patience: [1], step: [1], decay: [0.1], epochs: [3], fixedTopN: [1, 2] }
        """;

    public string Dir { get; } = Cli.TempDir();
    public string ReportDir => Path.Combine(Dir, "report");
    public CliResult Run { get; private set; } = null!;
    public CliResult Report { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(Dir, "spec.yaml"), Spec);
        Run = await Cli.RunAsync(Dir, TimeSpan.FromMinutes(10), "sweep", "run", "spec.yaml", "--workers", "2");
        Report = await Cli.RunAsync(Dir, TimeSpan.FromMinutes(2), "sweep", "report", "report-e2e", "--out", "report", "--json");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class ReportedSweepCollection : ICollectionFixture<ReportedSweep>
{
    public const string Name = "reported sweep";
}
