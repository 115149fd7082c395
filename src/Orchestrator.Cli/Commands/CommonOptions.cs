using System.CommandLine;
using Orchestrator.Domain;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Catalogue;

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

    public const string SeedsVariable = "ORCHESTRATOR_SEEDS";

    /// <summary>The control key's file: what signs (CLI) or checks (node) the commands that change the cluster.</summary>
    public static Option<FileInfo?> KeyFile(string what) => new("--key-file")
    {
        Description = $"File holding the control key that {what}; default ${ControlKey.FileVariable}, or the key in ${ControlKey.KeyVariable} (docs/security.md)",
    };

    /// <exception cref="InvalidInputException">A key file that cannot be read, or a key too short.</exception>
    public static ControlKey? LoadKey(ParseResult result, Option<FileInfo?> option) => ControlKey.Load(result.GetValue(option)?.FullName);

    /// <summary>Seed nodes (for a node) or contact points (for the CLI): `host:port`, repeatable.</summary>
    public static Option<string[]> Addresses(string name, string what) => new(name)
    {
        Description = $"{what} as host:port (repeatable); default ${SeedsVariable} or 127.0.0.1:{NodeOptions.DefaultPort}",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <exception cref="InvalidInputException">An address that is not host:port.</exception>
    public static IReadOnlyList<SeedAddress> ResolveAddresses(ParseResult result, Option<string[]> option)
    {
        try
        {
            var given = result.GetValue(option) ?? [];
            if (given.Length > 0) return given.Select(SeedAddress.Parse).ToList();
            if (Environment.GetEnvironmentVariable(SeedsVariable) is { Length: > 0 } env) return SeedAddress.ParseList(env);
            return [new SeedAddress("127.0.0.1", NodeOptions.DefaultPort)];
        }
        catch (FormatException ex)
        {
            throw new InvalidInputException($"{option.Name}: {ex.Message}");
        }
    }

    public static Option<double> Timeout() => Seconds("--timeout", 10, "Seconds to wait for the cluster to answer");

    public static Option<string> Host() => new("--host")
    {
        Description = "Address this process binds its cluster port to (default 127.0.0.1: reachable from this machine only)",
        DefaultValueFactory = _ => "127.0.0.1",
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
    public static async Task<ISweepCatalogue> OpenExistingStoreAsync(string url, CancellationToken ct)
    {
        var location = StoreUrl.Parse(url);
        if (location.Kind == StoreKind.Sqlite && !File.Exists(location.DatabasePath))
            throw new InvalidInputException($"no store at {location.DatabasePath} (run a sweep first, or pass --store)");
        return await StoreFactory.OpenAsync(location, ct);
    }
}
