using System.CommandLine;
using Orchestrator.Domain;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Cli.Commands;

/// <summary>What every command that asks the running cluster takes: contact points, a timeout, and the address the
/// CLI's own client binds to (loopback unless told); and, for the commands that change the cluster, what signs them.</summary>
public sealed record ClusterClientOptions(Option<string[]> Contacts, Option<double> Timeout, Option<string> Host, Option<FileInfo?>? KeyFile = null)
{
    /// <summary>A command that changes the cluster: it takes --key-file too, and signs what it sends.</summary>
    public static ClusterClientOptions AddCommandTo(Command command, string contactsDescription = "Cluster nodes to ask")
    {
        ArgumentNullException.ThrowIfNull(command);
        var options = AddTo(command, contactsDescription) with { KeyFile = CommonOptions.KeyFile("signs the command") };
        command.Options.Add(options.KeyFile!);
        return options;
    }

    /// <summary>What signs the command, required: the control key (--key-file or the environment), else the TLS client
    /// certificate (a node checks that it is marked operator). Read before anything is done, so that a command without
    /// either changes nothing.</summary>
    /// <exception cref="InvalidInputException">Neither configured, or an unusable one.</exception>
    public ICommandSigner RequireSigner(ParseResult result) =>
        (KeyFile is null ? null : CommonOptions.LoadKey(result, KeyFile))
        ?? (ICommandSigner?)OperatorCertificate.FromEnvironment()
        ?? throw new InvalidInputException($"no control key and no TLS client certificate: commands that change the cluster are signed with one; {ControlKey.HowToConfigure}");

    public static ClusterClientOptions AddTo(Command command, string contactsDescription = "Cluster nodes to ask")
    {
        var options = new ClusterClientOptions(CommonOptions.Addresses("--contact", contactsDescription), CommonOptions.Timeout(),
            new Option<string>("--host")
            {
                Description = "Address the CLI's client binds to, for the cluster's answers (default 127.0.0.1)",
                DefaultValueFactory = _ => "127.0.0.1",
            });
        command.Options.Add(options.Contacts);
        command.Options.Add(options.Timeout);
        command.Options.Add(options.Host);
        return options;
    }

    public TimeSpan Wait(ParseResult result) => CommonOptions.PositiveSeconds(result, Timeout);

    /// <summary>A client to the contact points; parse errors in them are bad input before anything starts. A command
    /// that changes the cluster signs with <paramref name="signer"/> when it read one already (<see cref="RequireSigner"/>),
    /// so its key file or certificate is read once.</summary>
    public OperationsClient Start(ParseResult result, ICommandSigner? signer = null) =>
        OperationsClient.Start(CommonOptions.ResolveAddresses(result, Contacts), result.GetValue(Host)!,
            KeyFile is null ? null : signer ?? RequireSigner(result));

    /// <summary>Starts a client, asks, stops it; an answer of another type than <typeparamref name="T"/> is an error.</summary>
    public async Task<T> AskAsync<T>(ParseResult result, Func<OperationsClient, TimeSpan, Task<object>> ask)
    {
        var wait = Wait(result);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var client = Start(result);
        var started = clock.Elapsed;
        object answer;
        try
        {
            answer = await ask(client, wait);
        }
        finally
        {
            var asked = clock.Elapsed;
            await client.DisposeAsync();
            // ORCHESTRATOR_TIMING=1: what the client's own actor system costs a query (docs/operations.md, "Operating the live cluster").
            if (Environment.GetEnvironmentVariable("ORCHESTRATOR_TIMING") == "1")
                Console.Error.WriteLine(FormattableString.Invariant(
                    $"timing: client start {started.TotalMilliseconds:F0} ms, ask {(asked - started).TotalMilliseconds:F0} ms, client stop {(clock.Elapsed - asked).TotalMilliseconds:F0} ms"));
        }
        return answer is T t ? t : throw new InvalidOperationException($"the cluster answered {answer.GetType().Name}");
    }
}
