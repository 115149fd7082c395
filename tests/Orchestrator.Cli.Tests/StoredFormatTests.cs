using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>A store written before this wave's renovation (Fixtures/journal-2026-12-07: journals, rows and artifacts
/// from main as it was on 2026-12-07): the current build reads its journals, audits them, and sees its sweep as done
/// without running anything again.</summary>
public sealed class StoredFormatTests : IDisposable
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "journal-2026-12-07");
    private static readonly string[] Trials = ["t-0eefecc2a8c1", "t-eb935cd2566d"];
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _dir = Cli.TempDir();

    public StoredFormatTests()
    {
        File.Copy(Path.Combine(Fixture, "spec.yaml"), Path.Combine(_dir, "spec.yaml"));
        var store = Directory.CreateDirectory(Path.Combine(_dir, ".orchestrator")).FullName;
        File.Copy(Path.Combine(Fixture, "store", "orchestrator.db"), Path.Combine(store, "orchestrator.db"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Fixture, "artifacts"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(store, "artifacts", Path.GetRelativePath(Path.Combine(Fixture, "artifacts"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public async Task A_store_written_before_reads_audits_and_its_sweep_is_done()
    {
        foreach (var trial in Trials)
        {
            var events = await Cli.RunAsync(_dir, Timeout, "trial", "events", trial, "--all");
            events.ExitCode.Should().Be(0, events.Stderr);
            events.Stdout.Should().Contain("TrialCompleted");
            CountOf(events.Stdout, "AttemptStarted").Should().Be(1);
            var audit = await Cli.RunAsync(_dir, Timeout, "trial", "audit", trial);
            audit.ExitCode.Should().Be(0, audit.Stdout + audit.Stderr);
            audit.Stdout.Should().Contain("no violation");
        }

        var environment = new Dictionary<string, string>
        {
            ["ORCHESTRATOR_ENGINE_PLUGIN"] = Path.Combine(AppContext.BaseDirectory, "Orchestrator.TestEngine.dll"),
            ["ORCHESTRATOR_TEST_ENGINE"] = "sleep:0.05",
        };
        var run = await Cli.RunAsync(_dir, Timeout, environment, "sweep", "run", "spec.yaml");
        run.ExitCode.Should().Be(0, run.Stdout + run.Stderr);
        run.Stdout.Should().Contain("2 trial(s), 0 new, 2 already ended").And.Contain("2 of 2 trial(s) completed").And.NotContain("epoch 1:");
        foreach (var trial in Trials)
            CountOf((await Cli.RunAsync(_dir, Timeout, "trial", "events", trial, "--all")).Stdout, "AttemptStarted").Should().Be(1, "nothing ran again");
    }

    private static int CountOf(string text, string word) => text.Split(word).Length - 1;

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
