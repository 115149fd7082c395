using System.Security.Cryptography;
using Orchestrator.Runtime.Hosting;

namespace Orchestrator.Testing;

/// <summary>A control key file for a test cluster: 32 random bytes in base64, mode 600, as the README makes one; the
/// processes get it through <see cref="ControlKey.FileVariable"/>.</summary>
public static class ControlKeyFile
{
    public static string Create(string dir, string name = "control.key")
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
