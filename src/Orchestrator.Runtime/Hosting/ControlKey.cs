using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// The operator's control key, shared by the nodes and the CLI: it signs every command that changes the cluster
/// (<see cref="SignedCommand"/>). Read from <c>--key-file</c>, else the file named by <see cref="FileVariable"/>, else
/// the key itself in <see cref="KeyVariable"/>; never from argv, never logged. The key is the file's text, trimmed.
/// </summary>
public sealed class ControlKey : ICommandSigner
{
    public const string FileVariable = "ORCHESTRATOR_CONTROL_KEY_FILE";
    public const string KeyVariable = "ORCHESTRATOR_CONTROL_KEY";
    public const int MinLength = 32;

    /// <summary>What a command or a node without a key is told.</summary>
    public const string HowToConfigure =
        $"give --key-file FILE or set {FileVariable} (create one: head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE), " +
        "or with TLS a client certificate marked OU=operator (docs/security.md)";

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
        var unsigned = SignedCommand.Unsigned(command, caller, now);
        return unsigned with { Mac = Mac(unsigned) };
    }

    /// <summary>Signs as the local user (<see cref="Caller"/>).</summary>
    public SignedCommand Sign(object command, DateTimeOffset now) => Sign(command, Caller, now);

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

    private string Mac(SignedCommand c) => Convert.ToBase64String(HMACSHA256.HashData(_key, c.SignedText()));

    /// <summary>Who signs, as the audit log records it: the local user and host (claimed by the key's holder).</summary>
    public static string Caller => $"{Environment.UserName}@{Environment.MachineName}";
}
