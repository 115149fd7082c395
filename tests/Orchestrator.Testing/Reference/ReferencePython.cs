using System.Diagnostics;
using Xunit;

namespace Orchestrator.Testing;

/// <summary>Debian's python3 with torch + torchvision, used as the reference oracle.</summary>
public static class ReferencePython
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Python: random BatchNorm statistics and affine parameters for <c>model</c>, so that a reference with
    /// random weights tests them too.</summary>
    public const string RandomizeBatchNorm = """
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)

        """;

    private static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>Null when usable, otherwise why not.</summary>
    public static string? WhyUnavailable => Missing.Value;

    private static string? Probe()
    {
        if (!File.Exists(Interpreter)) return $"{Interpreter} does not exist";
        var (code, output) = Run("-c \"import torch, torchvision; print(torchvision.__version__)\"", TimeSpan.FromSeconds(60));
        return code == 0 ? null : $"{Interpreter} cannot import torch/torchvision: {output.Trim()}";
    }

    public static (int ExitCode, string Output) Run(string arguments, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(Interpreter, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {Interpreter}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Interpreter} {arguments} ran past {timeout}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A fact that is skipped, saying why loudly, when the python reference is not installed.</summary>
public sealed class TorchvisionFactAttribute : FactAttribute
{
    public TorchvisionFactAttribute()
    {
        if (ReferencePython.WhyUnavailable is { } why)
            Skip = $"SKIPPED: PyTorch reference unavailable ({why}); parity with PyTorch is NOT verified";
    }
}


/// <summary>A theory that is skipped, saying why loudly, when the python reference is not installed.</summary>
public sealed class TorchvisionTheoryAttribute : TheoryAttribute
{
    public TorchvisionTheoryAttribute()
    {
        if (ReferencePython.WhyUnavailable is { } why)
            Skip = $"SKIPPED: PyTorch reference unavailable ({why}); parity with PyTorch is NOT verified";
    }
}
