using Orchestrator.Engine.Interop;

namespace Orchestrator.Engine.Ingest;

/// <summary>Outcome of decoding one source file (the values of OTE_IMAGE_* in orchestrator_engine.h).</summary>
public enum DecodeStatus
{
    Ok = 0,
    Empty = 1,
    NotAnImage = 2,
    Truncated = 3,
    Unreadable = 4,
    Constant = 5,
    Unsupported = 6,
}

/// <summary>How a 16-bit image, or a DICOM without a VOI window, becomes 8 bits (8-bit PNG/JPEG are kept as they are).</summary>
public enum Intensity
{
    /// <summary>The image's [min, max] to [0, 255].</summary>
    MinMax = 0,

    /// <summary>Its [0.5th, 99.5th] percentiles to [0, 255], clipped outside.</summary>
    Percentile = 1,
}

/// <summary>What the decoder saw: the status, and the source's size, bit depth and channels when it decoded.</summary>
public readonly record struct DecodeResult(DecodeStatus Status, int Width, int Height, int Bits, int Channels);

/// <summary>
/// Native decoding of a PNG (8 or 16 bit) or JPEG (OpenCV) or DICOM (DCMTK) file's bytes to a gray 8-bit square of
/// the stored size.
/// Thread-safe: ingest calls it from several threads at once.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Writes <c>size * size</c> bytes to <paramref name="destination"/> when the result is <see cref="DecodeStatus.Ok"/>.</summary>
    public static unsafe DecodeResult Decode(ReadOnlySpan<byte> file, int size, Intensity intensity, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        if (destination.Length != size * size)
            throw new ArgumentException($"destination must hold {size * size} bytes, not {destination.Length}", nameof(destination));
        NativeImageInfo info;
        fixed (byte* data = file)
        fixed (byte* output = destination)
            NativeMethods.Check(NativeMethods.ote_image_decode(data, file.Length, size, (int)intensity, output, out info));
        return new DecodeResult((DecodeStatus)info.Status, info.Width, info.Height, info.Bits, info.Channels);
    }
}
