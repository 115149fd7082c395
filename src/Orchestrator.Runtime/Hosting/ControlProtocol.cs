using System.Text.Json;
using Orchestrator.Runtime.Coordination;

namespace Orchestrator.Runtime.Hosting;

/// <summary>A command that changes the cluster, as the CLI sends it to a node's <see cref="ControlFacade"/>: the
/// command's type and JSON <c>Body</c>, when it was issued (Unix ms), a random <c>Nonce</c>, who claims to send it, and
/// an HMAC-SHA256 over all of them with the operator's <see cref="ControlKey"/>.</summary>
public sealed record SignedCommand(string Type, string Body, long IssuedAtUnixMs, string Nonce, string Caller, string Mac);

/// <summary>The facade's answer to a command it did not pass on: <c>Reason</c> is one line for the operator.</summary>
public sealed record ControlRefused(string Reason);

/// <summary>The commands the facade passes on, by type name, and where each goes.</summary>
public static class ControlCommands
{
    public enum Target { Node, Coordinator }

    public static IReadOnlyDictionary<string, (Type Type, Target Target)> Types { get; } = new Dictionary<string, (Type, Target)>(StringComparer.Ordinal)
    {
        [nameof(MemberCommand)] = (typeof(MemberCommand), Target.Node),
        [nameof(DrainNode)] = (typeof(DrainNode), Target.Node),
        [nameof(JoinCluster)] = (typeof(JoinCluster), Target.Node),
        [nameof(LaunchSweep)] = (typeof(LaunchSweep), Target.Coordinator),
        [nameof(ControlSweep)] = (typeof(ControlSweep), Target.Coordinator),
    };

    /// <summary>The command in <paramref name="signed"/>, or null when its body is not one.</summary>
    public static object? Read(SignedCommand signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        if (!Types.TryGetValue(signed.Type, out var known)) return null;
        try
        {
            return JsonSerializer.Deserialize(signed.Body, known.Type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// What the facade checks of a <see cref="SignedCommand"/>, in order: a key is configured, a known command, the MAC, the
/// time within <see cref="Window"/> of this node's clock, a nonce not seen within the window. Remembers the nonces it
/// accepted until they fall out of the window (a command older than that is refused for its time anyway). Owned by one
/// actor: not thread-safe.
/// </summary>
public sealed class ControlGate(ControlKey? key, Func<DateTimeOffset> clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    /// <summary>At most this many nonces remembered: past it, commands are refused until old ones expire.</summary>
    public const int MaxNonces = 100_000;

    private readonly Dictionary<string, DateTimeOffset> _nonces = new(StringComparer.Ordinal);

    /// <summary>The command to pass on, or why it is refused (exactly one is null).</summary>
    public (object? Command, string? Refused) Check(SignedCommand signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        var now = clock();
        if (key is null) return (null, $"this node has no control key, so it takes no command that changes the cluster: start it with --key-file FILE or {ControlKey.FileVariable}");
        if (!ControlCommands.Types.ContainsKey(signed.Type)) return (null, $"'{signed.Type}' is not a command this node takes");
        if (new[] { signed.Type, signed.Nonce, signed.Caller }.Any(f => f.Contains('\n', StringComparison.Ordinal)) || signed.Nonce.Length is < 16 or > 64)
            return (null, "malformed command");
        if (!key.Verifies(signed)) return (null, "wrong control key: the command's MAC does not match this node's key");
        var issued = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(signed.IssuedAtUnixMs, 0, 253402300799999));
        if ((issued - now).Duration() > Window)
            return (null, $"the command's time {issued:O} is more than {Window.TotalMinutes:0} min from this node's clock ({now:O}): check both clocks");
        foreach (var expired in _nonces.Where(n => n.Value < now).Select(n => n.Key).ToList()) _nonces.Remove(expired);
        if (_nonces.ContainsKey(signed.Nonce)) return (null, "replayed command: this nonce was used already");
        if (_nonces.Count >= MaxNonces) return (null, $"more than {MaxNonces} commands within {Window.TotalMinutes:0} min: try again later");
        if (ControlCommands.Read(signed) is not { } command) return (null, $"the {signed.Type} command's body cannot be read");
        _nonces[signed.Nonce] = issued + Window;
        return (command, null);
    }
}
