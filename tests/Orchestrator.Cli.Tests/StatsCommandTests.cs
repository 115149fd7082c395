using System.Text.Json;

namespace Orchestrator.Cli.Tests;

/// <summary>`orchestrator stats ...` run as a user would, on CSV files the tests write.</summary>
public class StatsCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    // The paper's Table 3 (traditional) and Table 4 (dynamic) test accuracies per backbone; a quoted field included.
    private const string Paper = """"
        backbone,traditional,dynamic,"note, quoted"
        Xception,83,83.2,a
        DenseNet121,82.1,83.4,b
        EfficientNetV2S,75.5,81.8,"with ""quotes"""
        InceptionV3,81.3,83.1,d
        MobileNet,81.7,85.1,e
        ResNet50,76,82.9,f
        VGG16,80.2,82.6,g
        """";

    // Ten blocks, four treatments, ties within blocks.
    private const string Four = """
        block,a,b,c,d
        1,0.79,0.82,0.81,0.84
        2,0.74,0.74,0.82,0.8
        3,0.82,0.83,0.84,0.85
        4,0.8,0.75,0.86,0.79
        5,0.78,0.8,0.81,0.83
        6,0.79,0.79,0.85,0.86
        7,0.83,0.79,0.78,0.85
        8,0.77,0.84,0.79,0.85
        9,0.86,0.79,0.77,0.8
        10,0.78,0.81,0.82,0.87
        """;

    private static async Task<(string Dir, string File)> WriteAsync(string content, string name = "scores.csv")
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, name), content);
        return (dir, name);
    }

    private static async Task<JsonElement> JsonAsync(string content, params string[] args)
    {
        var (dir, file) = await WriteAsync(content);
        var result = await Cli.RunAsync(dir, Timeout, [.. args, "--csv", file, "--json"]);
        result.Stderr.Should().BeEmpty();
        result.ExitCode.Should().Be(0);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    [Fact]
    public async Task Paired_t_test_of_the_papers_tables_gives_scipys_figures()
    {
        // scipy.stats.ttest_rel(dynamic, traditional) -> t = 3.3252731386734657, p = 0.015899796236297992;
        // R t.test(dynamic, traditional, paired=TRUE)$conf.int -> [0.8414972199, 5.529931351]. The paper reports p = 0.02.
        var json = await JsonAsync(Paper, "stats", "paired", "--columns", "dynamic,traditional");
        json.GetProperty("test").GetString().Should().Be("paired-t");
        json.GetProperty("difference").GetString().Should().Be("dynamic - traditional");
        json.GetProperty("n").GetInt32().Should().Be(7);
        json.GetProperty("df").GetInt32().Should().Be(6);
        json.GetProperty("meanDifference").GetDouble().Should().BeApproximately(3.185714286, 1e-8);
        json.GetProperty("t").GetDouble().Should().BeApproximately(3.325273139, 1e-8);
        json.GetProperty("p").GetDouble().Should().BeApproximately(0.01589979624, 1e-9);
        json.GetProperty("ciLower").GetDouble().Should().BeApproximately(0.8414972199, 1e-8);
        json.GetProperty("ciUpper").GetDouble().Should().BeApproximately(5.529931351, 1e-8);
    }

    [Fact]
    public async Task Paired_prints_a_table_without_json()
    {
        var (dir, file) = await WriteAsync(Paper);
        var result = await Cli.RunAsync(dir, Timeout, "stats", "paired", "--csv", file, "--columns", "dynamic,traditional");
        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("paired t-test of dynamic - traditional").And.Contain("3.32527").And.Contain("0.0158998")
            .And.Contain("95% CI of the mean difference");
    }

    [Fact]
    public async Task Wilcoxon_of_the_papers_tables_is_exact()
    {
        // R: wilcox.test(dynamic, traditional, paired=TRUE) -> V = 28, p = 0.015625 (exact); scipy.stats.wilcoxon agrees on p.
        var json = await JsonAsync(Paper, "stats", "wilcoxon", "--columns", "dynamic,traditional");
        json.GetProperty("test").GetString().Should().Be("wilcoxon-signed-rank");
        json.GetProperty("method").GetString().Should().Be("exact");
        json.GetProperty("v").GetDouble().Should().Be(28);
        json.GetProperty("n").GetInt32().Should().Be(7);
        json.GetProperty("p").GetDouble().Should().BeApproximately(0.015625, 1e-12);
        json.GetProperty("z").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task Wilcoxon_with_ties_and_zeros_approximates_as_R_does()
    {
        // a - b in doubles: two exact zeros, and |0.77 - 0.84| = 0.86 - 0.79 tie (0.85 - 0.83 and 0.82 - 0.80 do not:
        // binary fractions; R and SciPy see the same). R 4.2.2: wilcox.test(a, b, paired=TRUE) -> V = 28.5, p = 0.160400810755251;
        // wilcox.test(a, b, paired=TRUE, correct=FALSE) -> p = 0.1405055412848 = scipy.stats.wilcoxon(a, b, correction=False, method='approx')
        const string csv = """
            a,b
            0.83,0.80
            0.74,0.74
            0.85,0.83
            0.85,0.80
            0.82,0.80
            0.79,0.79
            0.83,0.79
            0.77,0.84
            0.86,0.79
            0.82,0.78
            """;
        var json = await JsonAsync(csv, "stats", "wilcoxon", "--columns", "a,b");
        json.GetProperty("method").GetString().Should().Be("normal-approximation");
        json.GetProperty("n").GetInt32().Should().Be(8);
        json.GetProperty("zerosDropped").GetInt32().Should().Be(2);
        json.GetProperty("ties").GetBoolean().Should().BeTrue();
        json.GetProperty("continuityCorrection").GetBoolean().Should().BeTrue();
        json.GetProperty("v").GetDouble().Should().Be(WilcoxonTiesV);
        json.GetProperty("p").GetDouble().Should().BeApproximately(WilcoxonTiesP, 5e-5 * WilcoxonTiesP);

        var plain = await JsonAsync(csv, "stats", "wilcoxon", "--columns", "a,b", "--no-correction");
        plain.GetProperty("continuityCorrection").GetBoolean().Should().BeFalse();
        plain.GetProperty("p").GetDouble().Should().BeApproximately(WilcoxonTiesPNoCorrection, 5e-5 * WilcoxonTiesPNoCorrection);
    }

    private const double WilcoxonTiesV = 28.5;
    private const double WilcoxonTiesP = 0.160400810755251;
    private const double WilcoxonTiesPNoCorrection = 0.1405055412848;

    [Fact]
    public async Task Friedman_gives_scipys_statistic_and_R_nemenyi()
    {
        // scipy.stats.friedmanchisquare(a, b, c, d) -> 12.0, p = 0.007383160505 (R friedman.test agrees);
        // Iman-Davenport F = 9 * 12 / (10 * 3 - 12) = 6, scipy.stats.f.sf(6, 3, 27) = 0.002860568216;
        // CD = qtukey(0.95, 4, Inf) / sqrt(2) * sqrt(4 * 5 / 60) = 1.483231188; a vs d: ptukey(1.8 * sqrt(2) / sqrt(1/3), 4, Inf, lower.tail=FALSE) = 0.00985637619743196
        var json = await JsonAsync(Four, "stats", "friedman", "--columns", "a,b,c,d");
        json.GetProperty("test").GetString().Should().Be("friedman");
        json.GetProperty("blocks").GetInt32().Should().Be(10);
        json.GetProperty("chiSquare").GetDouble().Should().BeApproximately(12, 1e-9);
        json.GetProperty("df").GetInt32().Should().Be(3);
        json.GetProperty("p").GetDouble().Should().BeApproximately(0.007383160505, 1e-9);
        json.GetProperty("averageRanks").EnumerateArray().Select(r => r.GetProperty("averageRank").GetDouble())
            .Should().Equal([1.8, 2.0, 2.6, 3.6], (x, y) => Math.Abs(x - y) < 1e-12);
        var id = json.GetProperty("imanDavenport");
        id.GetProperty("f").GetDouble().Should().BeApproximately(6, 1e-9);
        id.GetProperty("p").GetDouble().Should().BeApproximately(0.002860568216, 1e-9);
        var nemenyi = json.GetProperty("nemenyi");
        nemenyi.GetProperty("criticalDifference").GetDouble().Should().BeApproximately(1.483231188, 1e-6);
        var pairs = nemenyi.GetProperty("pairs").EnumerateArray().ToList();
        pairs.Should().HaveCount(6);
        var ad = pairs.Single(p => p.GetProperty("a").GetString() == "a" && p.GetProperty("b").GetString() == "d");
        ad.GetProperty("differ").GetBoolean().Should().BeTrue();
        ad.GetProperty("p").GetDouble().Should().BeApproximately(0.00985637619743196, 1e-6);
        pairs.Count(p => p.GetProperty("differ").GetBoolean()).Should().Be(2, "a-d and b-d (p 0.0286) differ");
    }

    [Fact]
    public async Task Friedman_prints_ranks_tests_and_pairs()
    {
        var (dir, file) = await WriteAsync(Four);
        var result = await Cli.RunAsync(dir, Timeout, "stats", "friedman", "--csv", file, "--columns", "a,b,c,d");
        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("average ranks").And.Contain("Iman-Davenport F").And.Contain("critical difference")
            .And.Contain("Nemenyi pairwise comparisons").And.Contain("differ").And.Contain("0.00738316");
    }

    [Fact]
    public async Task Friedman_with_identical_orderings_reports_an_infinite_F()
    {
        var json = await JsonAsync("x,y,z\n1,2,3\n4,5,6\n7,8,9\n", "stats", "friedman", "--columns", "x,y,z");
        json.GetProperty("imanDavenport").GetProperty("f").GetString().Should().Be("Infinity");
        json.GetProperty("imanDavenport").GetProperty("p").GetDouble().Should().Be(0);
    }

    [Theory]
    [InlineData("paired", "dynamic,traditional", "nope.csv", "--csv: file not found: nope.csv")]
    [InlineData("wilcoxon", "dynamic,accuracy", null, "no column 'accuracy'")]
    [InlineData("friedman", "dynamic,traditional,f1", null, "no column 'f1'")]
    [InlineData("paired", "dynamic,traditional,backbone", null, "exactly 2 columns, got 3")]
    [InlineData("wilcoxon", "dynamic", null, "exactly 2 columns, got 1")]
    [InlineData("friedman", "dynamic", null, "at least 2 columns, got 1")]
    [InlineData("paired", "dynamic,dynamic", null, "'dynamic' is named twice")]
    [InlineData("paired", "dynamic,backbone", null, "row 1 (line 2), column 'backbone': 'Xception' is not a number")]
    public async Task Bad_input_is_one_error_line_and_exit_2(string test, string columns, string? file, string mentions)
    {
        var (dir, written) = await WriteAsync(Paper);
        var result = await Cli.RunAsync(dir, Timeout, "stats", test, "--csv", file ?? written, "--columns", columns);
        ExpectError(result, mentions);
    }

    [Theory]
    [InlineData("a,b\n0.8,0.7\n0.9,oops\n", "row 2 (line 3), column 'b': 'oops' is not a number")]
    [InlineData("a,b\n0.8,0.7\n0.9,\n", "row 2 (line 3), column 'b': '' is not a number")]
    [InlineData("a,b\n0.8,0.7\n", "1 block(s) (data rows); at least 2 are needed")]
    [InlineData("a,b\n", "0 block(s) (data rows); at least 2 are needed")]
    [InlineData("", "the file is empty")]
    [InlineData("a,b\n0.8,0.7,0.6\n0.9,0.8\n", "line 2 has 3 field(s) but the header has 2")]
    [InlineData("a,b\n\"0.8,0.7\n0.9,0.8\n", "a quoted field is never closed")]
    [InlineData("a,b\n1,0\n3,2\n", "standard deviation is 0")]
    public async Task Bad_csv_content_is_one_error_line_and_exit_2(string content, string mentions)
    {
        var (dir, file) = await WriteAsync(content);
        var result = await Cli.RunAsync(dir, Timeout, "stats", "paired", "--csv", file, "--columns", "a,b");
        ExpectError(result, mentions);
    }

    [Fact]
    public async Task Friedman_with_two_treatments_answers_as_R_and_says_it_is_a_sign_test()
    {
        // R: friedman.test(cbind(dynamic, traditional)) on the paper's tables -> chi-squared = 7, df = 1, p-value = 0.008150972.
        var json = await JsonAsync(Paper, "stats", "friedman", "--columns", "dynamic,traditional");
        json.GetProperty("chiSquare").GetDouble().Should().BeApproximately(7, 1e-9);
        json.GetProperty("df").GetInt32().Should().Be(1);
        json.GetProperty("p").GetDouble().Should().BeApproximately(0.008150972, 1e-8);
        json.GetProperty("note").GetString().Should().Contain("sign test");
        var (dir, file) = await WriteAsync(Paper);
        var table = await Cli.RunAsync(dir, Timeout, "stats", "friedman", "--csv", file, "--columns", "dynamic,traditional");
        table.ExitCode.Should().Be(0, table.Stderr);
        table.Stdout.Should().Contain("note: with two treatments the Friedman test is the sign test");
    }

    [Fact]
    public async Task Friedman_with_one_block_is_refused()
    {
        var (dir, file) = await WriteAsync("x,y,z\n1,2,3\n");
        ExpectError(await Cli.RunAsync(dir, Timeout, "stats", "friedman", "--csv", file, "--columns", "x,y,z"), "at least 2 are needed");
    }

    private static void ExpectError(CliResult result, string mentions)
    {
        result.ExitCode.Should().Be(2, result.Stdout + result.Stderr);
        result.Stdout.Should().BeEmpty();
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle().Which.Should().StartWith("error: ").And.Contain(mentions);
    }
}
