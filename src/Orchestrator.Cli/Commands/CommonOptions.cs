using System.CommandLine;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Store;

namespace Orchestrator.Cli.Commands;

/// <summary>Options several commands share, so each is spelled and described once.</summary>
public static class CommonOptions
{
    public const string DefaultStore = "sqlite:.orchestrator/orchestrator.db";
    public const string StoreVariable = "ORCHESTRATOR_STORE";

    public static Option<string> Store() => new("--store")
    {
        Description = $"Store URL (sqlite:PATH or postgres://user@host:port/db; password from PGPASSWORD or ~/.pgpass); default ${StoreVariable} or {DefaultStore}",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(StoreVariable) is { Length: > 0 } env ? env : DefaultStore,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of a table" };

    public static Option<int> Workers() => new("--workers")
    {
        Description = "Worker slots in this process (each trains one trial at a time)",
        DefaultValueFactory = _ => 2,
    };

    /// <summary>A duration given in seconds.</summary>
    public static Option<double> Seconds(string name, double defaultSeconds, string description) => new(name)
    {
        Description = $"{description} (default {defaultSeconds})",
        DefaultValueFactory = _ => defaultSeconds,
    };

    /// <exception cref="InvalidInputException">The value is not a positive number of seconds.</exception>
    public static TimeSpan PositiveSeconds(ParseResult result, Option<double> option)
    {
        var value = result.GetValue(option);
        if (!(value > 0) || double.IsInfinity(value))
            throw new InvalidInputException($"{option.Name}: {value} is invalid (a positive number of seconds)");
        return TimeSpan.FromSeconds(value);
    }

    /// <summary>Opens a store for a query; a query never creates one.</summary>
    public static async Task<IOrchestratorStore> OpenExistingStoreAsync(string url, CancellationToken ct)
    {
        var location = StoreUrl.Parse(url);
        if (location.Kind == StoreKind.Sqlite && !File.Exists(location.DatabasePath))
            throw new InvalidInputException($"no store at {location.DatabasePath} (run a sweep first, or pass --store)");
        return await StoreFactory.OpenAsync(location, ct);
    }
}
