using System.Buffers.Binary;
using System.IO.Compression;

namespace Orchestrator.Cli.Tests;

/// <summary>A decoded 8-bit RGB or RGBA PNG (non-interlaced): enough to read a browser's screenshot.</summary>
public sealed record Png(int Width, int Height, int Channels, byte[] Pixels)
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public (byte R, byte G, byte B) At(int x, int y)
    {
        var i = (y * Width + x) * Channels;
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    /// <summary>Pixels whose colour differs from <paramref name="background"/> by more than <paramref name="tolerance"/> in some channel.</summary>
    public int CountDifferentFrom((byte R, byte G, byte B) background, int tolerance = 24)
    {
        var count = 0;
        for (var y = 0; y < Height; y++)
        for (var x = 0; x < Width; x++)
        {
            var (r, g, b) = At(x, y);
            if (Math.Abs(r - background.R) > tolerance || Math.Abs(g - background.G) > tolerance || Math.Abs(b - background.B) > tolerance) count++;
        }
        return count;
    }

    public int Colours()
    {
        var colours = new HashSet<(byte, byte, byte)>();
        for (var y = 0; y < Height; y++)
        for (var x = 0; x < Width; x++)
            colours.Add(At(x, y));
        return colours.Count;
    }

    /// <summary>Fails unless the image shows a drawing: dozens of shades (anti-aliased text and lines), and more than
    /// 2% of it away from white, as axes, bars, cells and text are and a blank or broken figure is not.</summary>
    public void ShouldBeDrawn(string what)
    {
        Colours().Should().BeGreaterThan(20, $"{what} must not be one colour");
        var drawn = CountDifferentFrom((255, 255, 255));
        drawn.Should().BeGreaterThan(Width * Height / 50, $"{what} must not be blank ({drawn} of {Width * Height} pixels drawn)");
    }

    public static Png Decode(byte[] file)
    {
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(Signature)) throw new InvalidDataException("not a PNG");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var at = 8; at + 8 <= file.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[12] != 0) throw new InvalidDataException($"only 8-bit non-interlaced PNGs (bit depth {data[8]}, interlace {data[12]})");
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"colour type {data[9]} is not RGB or RGBA") };
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        return new Png(width, height, channels, Unfilter(inflated.ToArray(), width, height, channels));
    }

    private static byte[] Unfilter(byte[] raw, int width, int height, int bpp)
    {
        var stride = width * bpp;
        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var src = y * (stride + 1) + 1;
            var row = y * stride;
            for (var i = 0; i < stride; i++)
            {
                int a = i >= bpp ? pixels[row + i - bpp] : 0;
                int b = y > 0 ? pixels[row - stride + i] : 0;
                int c = i >= bpp && y > 0 ? pixels[row - stride + i - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"row {y}: unknown filter {filter}"),
                };
                pixels[row + i] = (byte)(raw[src + i] + predictor);
            }
        }
        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
