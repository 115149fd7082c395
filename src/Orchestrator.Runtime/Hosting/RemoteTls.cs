using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// Mutual TLS on the cluster port (Akka.Remote's DotNetty transport): a peer is let in only if its certificate chains to
/// the cluster's own CA (<see cref="CaCertificatePath"/>, a private CA that is not in the OS trust store) or its
/// thumbprint is pinned (<see cref="PinnedThumbprints"/>, SHA-1 or SHA-256, upper-case hex). Both directions are
/// checked: the node that accepts a connection checks the client's certificate, the node that opens it checks the
/// server's.
/// </summary>
/// <remarks>
/// <para>Why a <see cref="DotNettySslSetup"/> and not HOCON alone: HOCON (<c>akka.remote.dot-netty.tcp.ssl</c>) can
/// only say "validate against the OS trust store" (<c>suppress-validation = false</c>), which refuses a private CA, or
/// "accept anything" (<c>suppress-validation = true</c>), which lets in a certificate from any CA. Trusting one private
/// CA or a list of thumbprints needs the custom validator of <see cref="DotNettySslSetup"/> (Akka.Remote 1.5.55+), which
/// the transport calls on both sides of the handshake and which replaces its own chain check. The setup also carries
/// the certificate, already loaded: the password is used once, in memory, and never enters the HOCON (so
/// <c>log-config-on-start</c> cannot print it).</para>
/// <para>Wiring: <see cref="RuntimeConfig"/> adds <see cref="Hocon"/> and <see cref="SslSetup"/> to the Akka.Hosting
/// builder when TLS is on (<c>ActorSystem.Create(name, tls.Setup(config))</c> does the same for a bare system). With TLS
/// on, addresses become <c>akka.ssl.tcp://orchestrator@host:port</c> (seed nodes and ClusterClient contacts must use
/// that scheme). Anything that talks to the port needs a certificate too, ClusterClient included: it uses the same
/// remoting.</para>
/// <para>Hostnames are not checked (<c>validate-certificate-hostname = false</c>): a node certificate says "member of
/// this cluster", not "this host", and nodes are addressed by IP. Revocation is not checked: the private CA publishes no
/// CRL; take a node out by rotating the CA or by pinning.</para>
/// </remarks>
public sealed record RemoteTlsSettings(string CertificatePath, string? Password, string? CaCertificatePath, IReadOnlyList<string> PinnedThumbprints)
{
    public const string CertificateVariable = "ORCHESTRATOR_TLS_CERT";
    public const string PasswordVariable = "ORCHESTRATOR_TLS_CERT_PASSWORD";
    public const string PasswordFileVariable = "ORCHESTRATOR_TLS_CERT_PASSWORD_FILE";
    public const string CaVariable = "ORCHESTRATOR_TLS_CA";
    public const string PinnedVariable = "ORCHESTRATOR_TLS_PINNED";

    /// <summary>
    /// Reads <c>ORCHESTRATOR_TLS_*</c> through <paramref name="env"/>; null when <c>ORCHESTRATOR_TLS_CERT</c> is unset.
    /// Opens every file named, so a missing file, a wrong password or a certificate without a key fails here, as one
    /// line (<see cref="InvalidInputException"/>) that never contains the password.
    /// </summary>
    public static RemoteTlsSettings? FromEnvironment(Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var certificate = Value(env, CertificateVariable);
        if (certificate is null)
            return null;

        var password = env(PasswordVariable) is { Length: > 0 } given ? given : null; // as given: spaces may be part of it
        var passwordFile = Value(env, PasswordFileVariable);
        if (password is not null && passwordFile is not null)
            throw new InvalidInputException($"{PasswordVariable} and {PasswordFileVariable} are both set; set one");
        if (passwordFile is not null)
            password = ReadPasswordFile(passwordFile);

        var settings = new RemoteTlsSettings(certificate, password, Value(env, CaVariable), ParsePins(Value(env, PinnedVariable)));
        settings.Check();
        return settings;
    }

    /// <summary>
    /// The HOCON that turns TLS with mutual authentication on. Not enough on its own: the certificate and the validator
    /// come from <see cref="SslSetup"/> (without it, the transport fails at start for want of
    /// <c>ssl.certificate.path</c>: TLS never falls back to open).
    /// </summary>
    public Config Hocon() => ConfigurationFactory.ParseString("""
        akka.remote.dot-netty.tcp {
          enable-ssl = true
          ssl {
            require-mutual-authentication = true
            suppress-validation = false
            validate-certificate-hostname = false
          }
        }
        """);

    /// <summary>
    /// The node's certificate (with its private key) and the validator that admits only the cluster's CA and the
    /// pinned thumbprints. Loads the files again; throws <see cref="InvalidInputException"/> as <see cref="FromEnvironment"/> does.
    /// </summary>
    public DotNettySslSetup SslSetup()
    {
        var (certificate, validator) = Load();
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, customValidator: validator.Validate);
    }

    /// <summary>The setup for <c>ActorSystem.Create(name, setup)</c>: <see cref="Hocon"/> over <paramref name="config"/>, plus <see cref="SslSetup"/>.</summary>
    public ActorSystemSetup Setup(Config config) =>
        BootstrapSetup.Create().WithConfig(Hocon().WithFallback(config)).And(SslSetup());

    /// <summary>This process's own certificate with its private key (the CLI signs its commands with it).</summary>
    public X509Certificate2 OwnCertificate() => LoadCertificate(CertificatePath, Password);

    /// <summary>Opens the files and checks they fit together; disposes what it loaded.</summary>
    internal void Check()
    {
        var (certificate, validator) = Load();
        certificate.Dispose();
        validator.Dispose();
    }

    /// <summary>The peer check alone (the CA and the pins), without this node's certificate.</summary>
    internal PeerCertificateValidator Validator()
    {
        if (CaCertificatePath is null && PinnedThumbprints.Count == 0)
            throw new InvalidInputException(
                $"{CertificateVariable} is set but neither {CaVariable} (the cluster's CA, PEM) nor {PinnedVariable} (peer thumbprints) is: nothing to check peers against");
        var pins = ParsePins(string.Join(',', PinnedThumbprints));
        return new PeerCertificateValidator(CaCertificatePath is null ? [] : LoadCa(CaCertificatePath), pins);
    }

    private (X509Certificate2 Certificate, PeerCertificateValidator Validator) Load()
    {
        var validator = Validator();
        X509Certificate2 certificate;
        try
        {
            certificate = LoadCertificate(CertificatePath, Password);
        }
        catch
        {
            validator.Dispose();
            throw;
        }
        // This node's certificate is checked as its peers will check it, where that check is the same everywhere: its
        // validity period, and (when only the CA is trusted) its chain. Pins may differ from node to node.
        var usable = validator.Accepts(certificate, presented: null, out var reason, checkTrust: PinnedThumbprints.Count == 0);
        if (!usable)
        {
            var subject = certificate.Subject;
            certificate.Dispose();
            validator.Dispose();
            throw new InvalidInputException($"{CertificateVariable}: '{CertificatePath}': this node's own certificate ({subject}) {reason}; peers would refuse it");
        }
        return (certificate, validator);
    }

    private static string? Value(Func<string, string?> env, string name) => env(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static string ReadPasswordFile(string path)
    {
        try
        {
            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{PasswordFileVariable}: cannot read '{path}' ({Why(e)})");
        }
    }

    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        // The loader reports a missing file as a CryptographicException, like a wrong password.
        if (!File.Exists(path))
            throw new InvalidInputException($"{CertificateVariable}: cannot read '{path}' (no such file)");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.DefaultKeySet);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{CertificateVariable}: cannot read '{path}' ({Why(e)})");
        }
        catch (CryptographicException)
        {
            // The exception's own text is not repeated: one line, and nothing derived from the password.
            throw new InvalidInputException(
                $"{CertificateVariable}: cannot open '{path}': wrong password ({PasswordVariable} or {PasswordFileVariable}) or not a PKCS#12 (.pfx) file");
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new InvalidInputException($"{CertificateVariable}: '{path}' holds a certificate without its private key; export the key into the .pfx as well");
        }
        return certificate;
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"{CaVariable}: cannot read '{path}' (no such file)");
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{CaVariable}: cannot read '{path}' ({Why(e)})");
        }
        catch (CryptographicException)
        {
            throw new InvalidInputException($"{CaVariable}: '{path}' is not a PEM certificate file");
        }
        if (roots.Count == 0)
            throw new InvalidInputException($"{CaVariable}: '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return roots;
    }

    private static List<string> ParsePins(string? text)
    {
        var pins = new List<string>();
        foreach (var item in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var hex = item.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
            if (hex.Length is not (40 or 64) || !hex.All(char.IsAsciiHexDigit))
                throw new InvalidInputException($"{PinnedVariable}: '{item}' is not a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint");
            pins.Add(hex);
        }
        return pins;
    }

    private static string Why(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };

    // The compiler-generated ToString would print the password.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"CertificatePath = {CertificatePath}, Password = {(Password is null ? "(none)" : "***")}, CaCertificatePath = {CaCertificatePath}, PinnedThumbprints = [{string.Join(", ", PinnedThumbprints)}]");
        return true;
    }
}

/// <summary>
/// Admits a peer certificate that chains to one of <c>roots</c> (and to nothing else: the OS trust store plays no part)
/// or whose SHA-1/SHA-256 thumbprint is in <c>pins</c>; either way the certificate must be within its validity period.
/// </summary>
internal sealed class PeerCertificateValidator(X509Certificate2Collection roots, IReadOnlyCollection<string> pins) : IDisposable
{
    /// <summary>Akka's <see cref="CertificateValidationCallback"/>: called on both sides of every handshake.</summary>
    public bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        // The transport's own errors (chain built against the OS store, host name) are not ours to go by: RemoteCertificateChainErrors
        // is what a private CA always gives, and host names are not checked. Only "no certificate at all" carries over.
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            log.Warning("TLS: refused {0}: it presented no certificate", remotePeer);
            return false;
        }
        if (Accepts(certificate, chain, out var reason))
            return true;
        log.Warning("TLS: refused {0}: certificate {1} (SHA-256 {2}) {3}", remotePeer, certificate.Subject,
            certificate.GetCertHashString(HashAlgorithmName.SHA256), reason);
        return false;
    }

    internal bool Accepts(X509Certificate2 certificate, X509Chain? presented, out string reason, bool checkTrust = true)
    {
        var now = DateTime.Now;
        if (now < certificate.NotBefore || now > certificate.NotAfter)
        {
            reason = string.Create(CultureInfo.InvariantCulture,
                $"is outside its validity period ({certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})");
            return false;
        }
        if (!checkTrust)
        {
            reason = "";
            return true;
        }
        if (pins.Contains(certificate.Thumbprint, StringComparer.OrdinalIgnoreCase)
            || pins.Contains(certificate.GetCertHashString(HashAlgorithmName.SHA256), StringComparer.OrdinalIgnoreCase))
        {
            reason = "";
            return true;
        }
        if (roots.Count == 0)
        {
            reason = "is not pinned";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            // Intermediates the peer sent; they only help build the path, trust still ends at one of the roots.
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            foreach (var element in presented.ChainElements.Skip(1))
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        if (chain.Build(certificate))
        {
            reason = "";
            return true;
        }
        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
        reason = pins.Count == 0
            ? $"does not chain to the cluster's CA ({status})"
            : $"does not chain to the cluster's CA ({status}) and is not pinned";
        return false;
    }

    public void Dispose()
    {
        foreach (var root in roots)
            root.Dispose();
    }
}
