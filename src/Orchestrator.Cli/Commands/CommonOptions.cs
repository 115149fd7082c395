using System.CommandLine;
using Orchestrator.Cluster.Sweeps;
using Orchestrator.Store;

namespace Orchestrator.Cli.Commands;

/// <summary>Options several commands share, so each is spelled and described once.</summary>
public static class CommonOptions
{
    public const string DefaultStore = "sqlite:.orchestrator/orchestrator.db";
    public const string StoreVariable = "ORCHESTRATOR_STORE";

    public static Option<string> Store() => new("--store")
    {
        Description = $"Store URL (sqlite:PATH); default ${StoreVariable} or {DefaultStore}",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(StoreVariable) is { Length: > 0 } env ? env : DefaultStore,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of a table" };

    public static Option<int> Workers() => new("--workers")
    {
        Description = "Worker slots in this process (each trains one trial at a time)",
        DefaultValueFactory = _ => 2,
    };

    /// <summary>Opens a store for a query; a query never creates one.</summary>
    public static async Task<IOrchestratorStore> OpenExistingStoreAsync(string url, CancellationToken ct)
    {
        var location = StoreUrl.Parse(url);
        if (!File.Exists(location.DatabasePath))
            throw new InvalidInputException($"no store at {location.DatabasePath} (run a sweep first, or pass --store)");
        return await StoreFactory.OpenAsync(location, ct);
    }
}
