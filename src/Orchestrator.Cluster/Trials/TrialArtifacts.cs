namespace Orchestrator.Cluster.Trials;

/// <summary>The folder of one trial's checkpoint files, under the store's artifact root.</summary>
public sealed class TrialArtifacts(string artifactRoot, string trialId)
{
    public string Directory { get; } = Path.Combine(artifactRoot, trialId);

    public string PathOf(string checkpointName) => Path.Combine(Directory, checkpointName);

    public void EnsureExists() => System.IO.Directory.CreateDirectory(Directory);

    /// <summary>Deletes checkpoint files the journal no longer points at (those of earlier epochs and orphans
    /// a crashed run wrote but never journaled). Only ever called after a successful append.</summary>
    public void Prune(IEnumerable<string?> keep)
    {
        var kept = keep.Where(k => k is not null).Select(k => PathOf(k!)).ToHashSet(StringComparer.Ordinal);
        if (!System.IO.Directory.Exists(Directory)) return;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.pt"))
            if (!kept.Contains(file)) File.Delete(file);
    }
}
