using Akka.Configuration;
using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Tests;

/// <summary>A test kit whose journal is <typeparamref name="TJournal"/> (one that fails some writes), with one trial of a
/// small dynamic grid on a manifest dataset, and the folders and threads it needs.</summary>
public abstract class JournalFaultTestKit<TJournal> : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private const string Grid = """
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        batchSize: 8
        hyperparameters: { patience: [2], step: [2], decay: [0.1], epochs: [6] }
        """;

    protected JournalFaultTestKit() : this(Path.Combine(Path.GetTempPath(), "orch-journal-fault-" + Guid.NewGuid().ToString("N")[..8])) { }

    private JournalFaultTestKit(string root) : base(ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.plugin = "akka.persistence.journal.faulty"
        akka.persistence.journal.faulty.class = "{{typeof(TJournal).AssemblyQualifiedName}}"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """))
    {
        Root = root;
        ManifestDataset.Write(Path.Combine(root, "data"), 100);
        Spec = Sweeps.SweepPlanner.Plan(SweepFixture.Yaml(root, Grid)).Trials.Single().Spec;
    }

    protected string Root { get; }
    protected TrialSpec Spec { get; }
    protected DatasetCache Datasets { get; } = new(ManifestDataset.Open);
    protected SlotThreads Threads { get; } = new("slot-0");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Datasets.Dispose();
        Threads.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
