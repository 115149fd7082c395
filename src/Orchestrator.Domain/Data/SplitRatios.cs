using System.Globalization;

namespace Orchestrator.Domain.Data;

/// <summary>Train/val/test shares, written as in the paper: "80/10/10" (percentages summing to 100).</summary>
public sealed record SplitRatios(int Train, int Validation, int Test)
{
    public static SplitRatios Default { get; } = new(80, 10, 10);

    public double TrainShare => Train / 100.0;
    public double ValidationShare => Validation / 100.0;

    public static SplitRatios Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
                throw new FormatException($"--split: '{text}' is not three whole percentages like 80/10/10");
        if (values.Length != 3)
            throw new FormatException($"--split: '{text}' needs three parts (train/val/test), like 80/10/10");
        if (values.Sum() != 100 || values[0] == 0)
            throw new FormatException($"--split: '{text}' must sum to 100 with a non-zero train share");
        return new SplitRatios(values[0], values[1], values[2]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Train}/{Validation}/{Test}");
}
