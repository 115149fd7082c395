using System.Globalization;

namespace Orchestrator.Domain.Training;

/// <summary>Where a trainer runs: the CPU, or one CUDA device by its index. Written as libtorch writes devices:
/// <c>cpu</c>, <c>cuda:N</c> (<c>cuda</c> alone is <c>cuda:0</c>).</summary>
public readonly record struct ComputeDevice
{
    private ComputeDevice(int? cudaIndex) => CudaIndex = cudaIndex;

    public static ComputeDevice Cpu { get; } = new(null);

    public static ComputeDevice Cuda(int index) =>
        index >= 0 ? new(index) : throw new ArgumentOutOfRangeException(nameof(index), index, "a CUDA index is not negative");

    /// <summary>The CUDA device index; null on the CPU.</summary>
    public int? CudaIndex { get; }

    public bool IsCuda => CudaIndex is not null;

    public override string ToString() => CudaIndex is { } i ? string.Create(CultureInfo.InvariantCulture, $"cuda:{i}") : "cpu";

    /// <exception cref="FormatException">Anything but cpu, cuda or cuda:N, with what was given.</exception>
    public static ComputeDevice Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        if (t == "cuda") return Cuda(0);
        if (t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return Cuda(index);
        throw new FormatException($"'{text}' is not a device: give cpu, cuda or cuda:N (N a GPU index such as 0)");
    }
}
