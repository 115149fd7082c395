using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// The operator's control key, shared by the nodes and the CLI: it signs every command that changes the cluster
/// (<see cref="SignedCommand"/>). Read from <c>--key-file</c>, else the file named by <see cref="FileVariable"/>, else
/// the key itself in <see cref="KeyVariable"/>; never from argv, never logged. The key is the file's text, trimmed.
/// </summary>
public sealed class ControlKey
{
    public const string FileVariable = "ORCHESTRATOR_CONTROL_KEY_FILE";
    public const string KeyVariable = "ORCHESTRATOR_CONTROL_KEY";
    public const int MinLength = 32;

    /// <summary>What a command or a node without a key is told.</summary>
    public const string HowToConfigure =
        $"give --key-file FILE or set {FileVariable} (create one: head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE; README: Security)";

    private const string Version = "orchestrator-control-v1";
    private readonly byte[] _key;

    private ControlKey(byte[] key) => _key = key;

    /// <summary>Where the key came from, for messages (never the key).</summary>
    public string Source { get; private init; } = "";

    /// <summary>The key from <paramref name="keyFile"/>, the environment, or null when none is configured.</summary>
    /// <exception cref="InvalidInputException">A key file that cannot be read, or a key too short.</exception>
    public static ControlKey? Load(string? keyFile = null)
    {
        keyFile ??= Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } f ? f : null;
        if (keyFile is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(keyFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InvalidInputException($"control key file {keyFile}: cannot be read ({ex.GetType().Name})");
            }
            return Parse(text, $"file {Path.GetFullPath(keyFile)}");
        }
        return Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } key ? Parse(key, KeyVariable) : null;
    }

    private static ControlKey Parse(string text, string source)
    {
        var trimmed = text.Trim();
        if (trimmed.Length < MinLength)
            throw new InvalidInputException($"control key ({source}): {trimmed.Length} character(s), at least {MinLength} needed " +
                                            "(head -c 32 /dev/urandom | base64 makes one)");
        return new ControlKey(Encoding.UTF8.GetBytes(trimmed)) { Source = source };
    }

    /// <summary>Signs <paramref name="command"/> (one of <see cref="ControlCommands.Types"/>) as of <paramref name="now"/>
    /// with a fresh random nonce.</summary>
    public SignedCommand Sign(object command, string caller, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        var type = command.GetType().Name;
        if (!ControlCommands.Types.ContainsKey(type)) throw new ArgumentException($"{type} is not a control command", nameof(command));
        var body = JsonSerializer.Serialize(command, command.GetType());
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var unsigned = new SignedCommand(type, body, now.ToUnixTimeMilliseconds(), nonce, caller, "");
        return unsigned with { Mac = Mac(unsigned) };
    }

    /// <summary>Whether the command's MAC is this key's, compared in constant time.</summary>
    public bool Verifies(SignedCommand signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        byte[] given;
        try
        {
            given = Convert.FromBase64String(signed.Mac);
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(given, Convert.FromBase64String(Mac(signed)));
    }

    /// <summary>HMAC-SHA256 over the version, type, time, nonce, caller and body, one per line (the body last: it is the
    /// only field that may hold a newline, and its length is fixed by the message's end).</summary>
    private string Mac(SignedCommand c) => Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(string.Join('\n',
        Version, c.Type, c.IssuedAtUnixMs.ToString(CultureInfo.InvariantCulture), c.Nonce, c.Caller, c.Body))));

    /// <summary>Who signs, as the audit log records it: the local user and host (claimed by the key's holder).</summary>
    public static string Caller => $"{Environment.UserName}@{Environment.MachineName}";
}
