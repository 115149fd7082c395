using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Cli.Output;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Reporting.Statistics;
using Orchestrator.Reporting.Tables;
using Spectre.Console;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `stats paired|wilcoxon|friedman --csv FILE --columns A,B[,C...]`: rows of the CSV are blocks (e.g. backbones),
/// the named columns are treatments (e.g. strategies) compared on them.
/// </summary>
public static class StatsCommands
{
    // Iman-Davenport's F is infinite when every block ranks the treatments alike; JSON has no literal for that.
    private static readonly JsonSerializerOptions Json = new(Tables.Json) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static Command Create()
    {
        var stats = new Command("stats", "Compare treatments (CSV columns) over blocks (CSV rows) statistically");
        stats.Subcommands.Add(Paired());
        stats.Subcommands.Add(Wilcoxon());
        stats.Subcommands.Add(Friedman());
        return stats;
    }

    private static Option<string> Csv() => new("--csv") { Description = "CSV file: a header row, then one row per block", Required = true };

    private static Option<string> Columns(string what) => new("--columns") { Description = $"Treatment columns, comma separated ({what})", Required = true };

    private static Command Paired()
    {
        var csv = Csv();
        var columns = Columns("exactly 2: A,B tests A - B");
        var json = CommonOptions.Json();
        var command = new Command("paired", "Paired t-test of A - B, with the 95% confidence interval of the mean difference") { csv, columns, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var m = Load(result.GetValue(csv)!, result.GetValue(columns)!, exactly: 2);
            var r = Run(() => PairedTTest.Test(m.Column(0), m.Column(1)));
            var difference = $"{m.Treatments[0]} - {m.Treatments[1]}";
            if (result.GetValue(json))
                return Print(new
                {
                    test = "paired-t",
                    columns = m.Treatments,
                    difference,
                    n = r.N,
                    meanDifference = r.MeanDifference,
                    sdDifference = r.SdDifference,
                    t = r.T,
                    df = r.DegreesOfFreedom,
                    p = r.PValue,
                    confidence = r.Confidence,
                    ciLower = r.CiLower,
                    ciUpper = r.CiUpper,
                });
            AnsiConsole.Write(Figures($"paired t-test of {difference}",
                ("blocks", Int(r.N)), ("mean difference", G(r.MeanDifference)), ("sd of differences", G(r.SdDifference)),
                ("t", G(r.T)), ("df", Int(r.DegreesOfFreedom)), ("p (two-sided)", G(r.PValue)),
                ($"{(r.Confidence * 100).ToString("0.##", CultureInfo.InvariantCulture)}% CI of the mean difference", $"[{G(r.CiLower)}, {G(r.CiUpper)}]")));
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Wilcoxon()
    {
        var csv = Csv();
        var columns = Columns("exactly 2: A,B tests A - B");
        var noCorrection = new Option<bool>("--no-correction") { Description = "Leave out the continuity correction of the normal approximation (SciPy's default; R's is to apply it)" };
        var json = CommonOptions.Json();
        var command = new Command("wilcoxon",
            "Wilcoxon signed-rank test of A - B (as R's wilcox.test(paired=TRUE): zeros dropped; exact for n <= 50 without ties or zeros)")
            { csv, columns, noCorrection, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var m = Load(result.GetValue(csv)!, result.GetValue(columns)!, exactly: 2);
            var r = Run(() => WilcoxonSignedRank.Test(m.Column(0), m.Column(1), !result.GetValue(noCorrection)));
            var difference = $"{m.Treatments[0]} - {m.Treatments[1]}";
            var method = r.Method == WilcoxonMethod.Exact ? "exact" : "normal-approximation";
            if (result.GetValue(json))
                return Print(new
                {
                    test = "wilcoxon-signed-rank",
                    columns = m.Treatments,
                    difference,
                    n = r.N,
                    zerosDropped = r.ZerosDropped,
                    ties = r.HasTies,
                    v = r.V,
                    wMinus = r.WMinus,
                    p = r.PValue,
                    method,
                    continuityCorrection = r.Method == WilcoxonMethod.NormalApproximation && r.ContinuityCorrection,
                    z = r.Z,
                });
            var how = r.Method == WilcoxonMethod.Exact ? "exact"
                : $"normal approximation{(r.HasTies ? ", tie-corrected" : "")}{(r.ContinuityCorrection ? ", continuity-corrected" : "")}";
            AnsiConsole.Write(Figures($"Wilcoxon signed-rank test of {difference}",
                ("pairs used (non-zero differences)", Int(r.N)), ("zero differences dropped", Int(r.ZerosDropped)),
                ("V = W+", G(r.V)), ("W-", G(r.WMinus)), ("z", r.Z is { } z ? G(z) : "-"),
                ("p (two-sided)", G(r.PValue)), ("method", how)));
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private const string SignTestNote = "with two treatments the Friedman test is the sign test (chi-square = (wins - losses)^2 / (wins + losses), " +
                                        "tied blocks dropped), as R's friedman.test answers";

    private static Command Friedman()
    {
        var csv = Csv();
        var columns = Columns("2 or more; with 2 it is a sign test");
        var alpha = new Option<double>("--alpha") { Description = "Significance level of the Nemenyi critical difference", DefaultValueFactory = _ => 0.05 };
        var json = CommonOptions.Json();
        var command = new Command("friedman", "Friedman test with Iman-Davenport's F and the Nemenyi critical difference (rank 1 = lowest value in a block)")
            { csv, columns, alpha, json };
        command.SetAction((result, ct) => CommandRunner.RunAsync(() =>
        {
            var level = result.GetValue(alpha);
            if (!(level > 0 && level < 1)) throw new InvalidInputException($"--alpha: {level.ToString(CultureInfo.InvariantCulture)} is invalid (between 0 and 1)");
            var m = Load(result.GetValue(csv)!, result.GetValue(columns)!, atLeast: 2);
            var r = Run(() => FriedmanTest.Test(m.Values, level));
            var names = m.Treatments;
            if (result.GetValue(json))
                return Print(new
                {
                    test = "friedman",
                    note = r.IsSignTest ? SignTestNote : null,
                    columns = names,
                    blocks = r.Blocks,
                    treatments = r.Treatments,
                    averageRanks = names.Select((name, j) => new { column = name, averageRank = r.AverageRanks[j] }),
                    chiSquare = r.ChiSquare,
                    df = r.DegreesOfFreedom,
                    p = r.PValue,
                    imanDavenport = new { f = r.ImanDavenportF, df1 = r.ImanDavenportDf1, df2 = r.ImanDavenportDf2, p = r.ImanDavenportPValue },
                    nemenyi = new
                    {
                        alpha = r.Alpha,
                        qAlpha = r.NemenyiQAlpha,
                        criticalDifference = r.NemenyiCriticalDifference,
                        pairs = r.Pairs.Select(p => new { a = names[p.First], b = names[p.Second], rankDifference = p.RankDifference, differ = p.Differ, p = p.PValue }),
                    },
                });

            var ranks = new Table().Title("average ranks").AddColumns("treatment", "average rank");
            foreach (var j in Enumerable.Range(0, r.Treatments).OrderByDescending(j => r.AverageRanks[j]))
                ranks.AddRow(Markup.Escape(names[j]), G(r.AverageRanks[j]));
            AnsiConsole.Write(ranks);
            AnsiConsole.Write(Figures($"Friedman test: {r.Treatments} treatments over {r.Blocks} blocks",
                ("Friedman chi-square (tie-corrected)", G(r.ChiSquare)), ("df", Int(r.DegreesOfFreedom)), ("p", G(r.PValue)),
                ("Iman-Davenport F", G(r.ImanDavenportF)), ("F df", $"{r.ImanDavenportDf1}, {r.ImanDavenportDf2}"), ("F p", G(r.ImanDavenportPValue)),
                ($"Nemenyi q at alpha {G(r.Alpha)}", G(r.NemenyiQAlpha)), ("critical difference (CD)", G(r.NemenyiCriticalDifference))));
            var pairs = new Table().Title("Nemenyi pairwise comparisons").AddColumns("A", "B", "rank A - rank B", "|diff| > CD", "p");
            foreach (var p in r.Pairs)
                pairs.AddRow(Markup.Escape(names[p.First]), Markup.Escape(names[p.Second]), G(p.RankDifference), p.Differ ? "differ" : "-", G(p.PValue));
            AnsiConsole.Write(pairs);
            if (r.IsSignTest) Console.WriteLine($"note: {SignTestNote}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static BlockMatrix Load(string path, string columnList, int? exactly = null, int? atLeast = null)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"--csv: file not found: {path}");
        var columns = columnList.Split(',', StringSplitOptions.TrimEntries);
        if (columns.Any(c => c.Length == 0)) throw new InvalidInputException($"--columns: '{columnList}' has an empty name");
        if (columns.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidInputException($"--columns: '{twice.Key}' is named twice");
        if (exactly is { } e && columns.Length != e)
            throw new InvalidInputException($"--columns: this test compares exactly {e} columns, got {columns.Length} ({columnList})");
        if (atLeast is { } a && columns.Length < a)
            throw new InvalidInputException($"--columns: this test needs at least {a} columns, got {columns.Length} ({columnList})");
        BlockMatrix m;
        try
        {
            m = BlockMatrix.FromCsv(CsvTable.Parse(File.ReadAllText(path)), columns);
        }
        catch (CsvException ex)
        {
            throw new InvalidInputException($"{path}: {ex.Message}");
        }
        if (m.Blocks < 2) throw new InvalidInputException($"{path}: {m.Blocks} block(s) (data rows); at least 2 are needed");
        return m;
    }

    /// <summary>What the statistics refuse (e.g. all differences equal) is a property of the input: exit 2.</summary>
    private static T Run<T>(Func<T> test)
    {
        try
        {
            return test();
        }
        catch (ArgumentException ex)
        {
            throw new InvalidInputException(ex.Message);
        }
    }

    private static Task<int> Print(object document)
    {
        Console.WriteLine(JsonSerializer.Serialize(document, Json));
        return Task.FromResult(ExitCodes.Ok);
    }

    private static Table Figures(string title, params (string Name, string Value)[] rows)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumns("figure", "value");
        foreach (var (name, value) in rows) table.AddRow(Markup.Escape(name), Markup.Escape(value));
        return table;
    }

    private static string G(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
