using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Wire;

namespace Orchestrator.Runtime.Hosting;

/// <summary>A command that changes the cluster, as the CLI sends it to a node's <see cref="ControlFacade"/>: the
/// command's type and JSON <c>Body</c>, when it was issued (Unix ms), a random <c>Nonce</c>, who sends it, and in
/// <c>Mac</c> either an HMAC-SHA256 over all of them with the operator's <see cref="ControlKey"/> or, when
/// <c>Certificate</c> (base64 DER) is given, a signature with that certificate's private key
/// (<see cref="OperatorCertificate"/>).</summary>
public sealed record SignedCommand(string Type, string Body, long IssuedAtUnixMs, string Nonce, string Caller, string Mac, string Certificate = "") : IWireMessage
{
    private const string Version = "orchestrator-control-v2";

    /// <summary><paramref name="command"/> (one of <see cref="ControlCommands.Types"/>) as of <paramref name="now"/>, with a
    /// fresh random nonce and no MAC yet.</summary>
    public static SignedCommand Unsigned(object command, string caller, DateTimeOffset now, string certificate = "")
    {
        ArgumentNullException.ThrowIfNull(command);
        var type = command.GetType().Name;
        if (!ControlCommands.Types.ContainsKey(type)) throw new ArgumentException($"{type} is not a control command", nameof(command));
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        return new SignedCommand(type, JsonSerializer.Serialize(command, command.GetType()), now.ToUnixTimeMilliseconds(), nonce, caller, "", certificate);
    }

    /// <summary>What the MAC or signature covers: the version, type, time, nonce, caller and certificate, one per line,
    /// then the body (the only field that may hold a newline; the message's end fixes its length).</summary>
    public byte[] SignedText() => Encoding.UTF8.GetBytes(string.Join('\n',
        Version, Type, IssuedAtUnixMs.ToString(CultureInfo.InvariantCulture), Nonce, Caller, Certificate, Body));
}

/// <summary>What signs the CLI's commands: the shared <see cref="ControlKey"/> or an <see cref="OperatorCertificate"/>.</summary>
public interface ICommandSigner
{
    /// <summary>Where the key or certificate came from, for messages (never the key).</summary>
    string Source { get; }

    SignedCommand Sign(object command, DateTimeOffset now);
}

/// <summary>The facade's answer to a command it did not pass on: <c>Reason</c> is one line for the operator.</summary>
public sealed record ControlRefused(string Reason) : IWireMessage;

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
/// What the facade checks of a <see cref="SignedCommand"/>, in order: a known command, then its MAC with this node's
/// control key or, for a command signed with a certificate, that certificate (<see cref="OperatorTrust"/>), the time
/// within <see cref="Window"/> of this node's clock, a nonce not seen within the window. Remembers the nonces it
/// accepted until they fall out of the window (a command older than that is refused for its time anyway). Owned by one
/// actor: not thread-safe.
/// </summary>
public sealed class ControlGate(ControlKey? key, Func<DateTimeOffset> clock, OperatorTrust? operators = null)
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
        if (key is null && operators is null)
            return (null, $"this node has no control key and no TLS CA, so it takes no command that changes the cluster: start it with --key-file FILE or {ControlKey.FileVariable}");
        if (!ControlCommands.Types.ContainsKey(signed.Type)) return (null, $"'{signed.Type}' is not a command this node takes");
        if (new[] { signed.Type, signed.Nonce, signed.Caller, signed.Certificate }.Any(f => f.Contains('\n', StringComparison.Ordinal)) || signed.Nonce.Length is < 16 or > 64)
            return (null, "malformed command");
        if (Unauthenticated(signed) is { } refused) return (null, refused);
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

    private string? Unauthenticated(SignedCommand signed)
    {
        if (signed.Certificate.Length > 0)
            return operators is null
                ? "this node takes no command signed with a certificate: TLS is off on it (ORCHESTRATOR_TLS_CERT, ORCHESTRATOR_TLS_CA)"
                : operators.Refusal(signed);
        if (key is null) return $"this node has no control key, so it takes only commands signed with an operator certificate of the cluster's CA ({ControlKey.FileVariable})";
        return key.Verifies(signed) ? null : "wrong control key: the command's MAC does not match this node's key";
    }
}
