using System.CommandLine;

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
}
