using SkiaSharp;

namespace Orchestrator.Reporting.Tests.Reports;

/// <summary>Whether a decoded image shows a drawing rather than a blank or one-colour canvas.</summary>
public static class Pixels
{
    public static void AssertDrawn(SKBitmap bitmap, string what)
    {
        var colours = new HashSet<uint>();
        var drawn = 0;
        for (var y = 0; y < bitmap.Height; y++)
        for (var x = 0; x < bitmap.Width; x++)
        {
            var c = bitmap.GetPixel(x, y);
            colours.Add((uint)c);
            if (c.Red < 230 || c.Green < 230 || c.Blue < 230) drawn++;
        }
        // Axes, bars, cells and text take far more than 1% of a figure and dozens of shades (anti-aliasing included).
        colours.Count.Should().BeGreaterThan(20, $"{what} must not be one colour");
        drawn.Should().BeGreaterThan(bitmap.Width * bitmap.Height / 100, $"{what} must not be blank ({drawn} of {bitmap.Width * bitmap.Height} pixels drawn)");
    }
}
