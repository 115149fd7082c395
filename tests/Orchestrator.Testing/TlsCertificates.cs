using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Orchestrator.Runtime.Hosting;

namespace Orchestrator.Testing;

/// <summary>
/// A private CA with two node certificates and two client certificates (OU=operator, OU=read-only), and a foreign CA
/// with a node and an operator certificate of its own, made with openssl in a temp dir; every .pfx has the same password.
/// </summary>
public sealed class TlsCertificates : IDisposable
{
    public const string PfxPassword = "pfx-Secret-7431";

    private readonly TempDir _dir = new("orchestrator-tls-");

    public TlsCertificates()
    {
        MakeCa("ca");
        MakeCa("foreign-ca");
        MakeNode("node1", "ca");
        MakeNode("node2", "ca");
        MakeNode("intruder", "foreign-ca");
        MakeNode("operator", "ca", "operator");
        MakeNode("reader", "ca", "read-only");
        MakeNode("rogue-operator", "foreign-ca", "operator");
    }

    public string Dir => _dir.Path;
    public string CaPem => Path.Combine(Dir, "ca.pem");
    public string Pfx(string name) => Path.Combine(Dir, name + ".pfx");

    /// <summary>A file holding the .pfx password, as a node reads it (ORCHESTRATOR_TLS_CERT_PASSWORD_FILE).</summary>
    public string PasswordFile
    {
        get
        {
            var path = Path.Combine(Dir, "pfx-password");
            if (!File.Exists(path)) File.WriteAllText(path, PfxPassword + "\n");
            return path;
        }
    }

    public RemoteTlsSettings Settings(string node) => new(Pfx(node), PfxPassword, CaPem, []);

    public X509Certificate2 Load(string name) => X509CertificateLoader.LoadPkcs12FromFile(Pfx(name), PfxPassword);

    public void Dispose() => _dir.Dispose();

    private void MakeCa(string name) =>
        OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");

    /// <param name="role">The OU that marks a client certificate (null: a node's, unmarked).</param>
    private void MakeNode(string name, string ca, string? role = null)
    {
        File.WriteAllText(Path.Combine(Dir, name + ".ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1\n");
        OpenSsl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name + (role is null ? "" : "/OU=" + role));
        OpenSsl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
            "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
        OpenSsl("pkcs12", "-export", "-in", name + ".pem", "-inkey", name + ".key", "-out", name + ".pfx", "-passout", "env:PFX_PASSWORD");
    }

    private void OpenSsl(params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { WorkingDirectory = Dir, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["PFX_PASSWORD"] = PfxPassword;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
    }
}
