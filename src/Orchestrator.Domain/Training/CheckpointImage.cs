using System.Security.Cryptography;

namespace Orchestrator.Domain.Training;

/// <summary>
/// A checkpoint taken in memory: the bytes a trainer's save would write, and their SHA-256. The slot writes it to its
/// file on another thread while the engine trains the next epoch (on a busy box the write and rename of each file cost
/// the engine thread 0.3 to 0.8 ms an epoch with the test engine's tiny files, and far more with real weights).
/// </summary>
public sealed class CheckpointImage
{
    public CheckpointImage(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Bytes = bytes;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Lower-case hex, as the trainers' saves return it.</summary>
    public string Sha256 { get; }
}
