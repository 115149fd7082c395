using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Runtime.Hosting;

/// <summary>What a certificate of the cluster's CA is for, as its subject's organizational unit says
/// (<c>-subj "/CN=ana/OU=operator"</c>). Any certificate of the CA is let onto the cluster port (TLS); only one marked
/// <see cref="Operator"/> signs commands that change the cluster.</summary>
public enum CertificateRole { Unmarked, Node, Operator, ReadOnly }

public static class CertificateRoles
{
    /// <summary>The OU values, as written in a certificate's subject.</summary>
    public static string Spelling(CertificateRole role) => role switch
    {
        CertificateRole.Node => "node",
        CertificateRole.Operator => "operator",
        CertificateRole.ReadOnly => "read-only",
        CertificateRole.Unmarked => "unmarked",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>The role an OU of the subject names (the first one that names one), else <see cref="CertificateRole.Unmarked"/>.</summary>
    public static CertificateRole Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.GetSingleElementType().Value != "2.5.4.11") continue; // organizationalUnitName
            var value = rdn.GetSingleElementValue();
            foreach (var role in new[] { CertificateRole.Node, CertificateRole.Operator, CertificateRole.ReadOnly })
                if (string.Equals(value, Spelling(role), StringComparison.OrdinalIgnoreCase)) return role;
        }
        return CertificateRole.Unmarked;
    }

    /// <summary>The signature of <paramref name="data"/> with the certificate's private key (ECDSA or RSA, SHA-256).</summary>
    internal static byte[] Sign(X509Certificate2 certificate, byte[] data)
    {
        using var ec = certificate.GetECDsaPrivateKey();
        if (ec is not null) return ec.SignData(data, HashAlgorithmName.SHA256);
        using var rsa = certificate.GetRSAPrivateKey()
            ?? throw new InvalidInputException($"certificate {certificate.Subject}: an ECDSA or RSA private key is needed to sign commands");
        return rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    internal static bool Verifies(X509Certificate2 certificate, byte[] data, byte[] signature)
    {
        using var ec = certificate.GetECDsaPublicKey();
        if (ec is not null) return ec.VerifyData(data, signature, HashAlgorithmName.SHA256);
        using var rsa = certificate.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}

/// <summary>The CLI's TLS client certificate as the signer of its commands: the command carries the certificate and a
/// signature with its private key, so a node's <see cref="OperatorTrust"/> knows who sent it without a shared key. It
/// holds the certificate for the life of the CLI's process.</summary>
public sealed class OperatorCertificate : ICommandSigner
{
    private readonly X509Certificate2 _certificate;

    public OperatorCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey) throw new ArgumentException("a certificate with its private key is needed", nameof(certificate));
        _certificate = certificate;
    }

    /// <summary>The client certificate of <c>ORCHESTRATOR_TLS_*</c>, or null when TLS is off.</summary>
    public static OperatorCertificate? FromEnvironment() =>
        RemoteTlsSettings.FromEnvironment(Environment.GetEnvironmentVariable) is { } tls ? new OperatorCertificate(tls.OwnCertificate()) : null;

    public string Source => $"certificate {_certificate.Subject}";

    public SignedCommand Sign(object command, DateTimeOffset now)
    {
        var unsigned = SignedCommand.Unsigned(command, _certificate.Subject, now, Convert.ToBase64String(_certificate.RawData));
        return unsigned with { Mac = Convert.ToBase64String(CertificateRoles.Sign(_certificate, unsigned.SignedText())) };
    }
}

/// <summary>
/// A node's check of a command signed with a certificate: it chains to the cluster's CA (or is pinned) as the TLS
/// handshake requires, is marked <see cref="CertificateRole.Operator"/>, names its subject as the caller, and the
/// signature is its key's. Built from the node's own TLS settings; null where TLS is off.
/// </summary>
public sealed class OperatorTrust : IDisposable
{
    private readonly PeerCertificateValidator _validator;

    internal OperatorTrust(PeerCertificateValidator validator) => _validator = validator;

    /// <summary>The trust of a node with these TLS settings; null where TLS is off.</summary>
    public static OperatorTrust? For(RemoteTlsSettings? tls) => tls is null ? null : new OperatorTrust(tls.Validator());

    /// <summary>Why <paramref name="signed"/> is refused, or null when its certificate may command and signed it.</summary>
    public string? Refusal(SignedCommand signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        X509Certificate2 certificate;
        byte[] signature;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(signed.Certificate));
            signature = Convert.FromBase64String(signed.Mac);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return "malformed command: its certificate or signature cannot be read";
        }
        using (certificate)
        {
            if (!_validator.Accepts(certificate, presented: null, out var reason)) return $"certificate {certificate.Subject} {reason}";
            var role = CertificateRoles.Of(certificate);
            if (role != CertificateRole.Operator)
                return $"certificate {certificate.Subject} is {(role == CertificateRole.Unmarked ? "not marked" : $"marked {CertificateRoles.Spelling(role)}, not")} " +
                       "operator (OU=operator): it may query the cluster, not change it";
            if (signed.Caller != certificate.Subject) return "malformed command: its caller is not its certificate's subject";
            return CertificateRoles.Verifies(certificate, signed.SignedText(), signature)
                ? null
                : $"wrong signature: the command was not signed with the key of certificate {certificate.Subject}";
        }
    }

    public void Dispose() => _validator.Dispose();
}
