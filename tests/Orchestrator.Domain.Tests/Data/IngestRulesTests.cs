using Orchestrator.Domain.Data;
using Orchestrator.Domain.Data.Ingest;

namespace Orchestrator.Domain.Tests.Data;

public class CsvSourceTests
{
    [Fact]
    public void Reads_path_label_patient_and_keeps_extra_columns_with_rfc4180_quoting()
    {
        const string text = "\uFEFFpath,label,patient_id,note\r\n" +
                            "a/1.png,Pneumonia,P1,\"front, upright\"\r\n" +
                            "\r\n" +
                            "\"b\\2.png\",COVID-19,,\"said \"\"hi\"\"\nnext line\"\n" +
                            "c.png,Tuberculosis,P3,x";
        var images = CsvSource.Parse(text, "s.csv");

        images.Should().HaveCount(3);
        images[0].Should().BeEquivalentTo(new SourceImage("a/1.png", "Pneumonia", "P1", 2, new Dictionary<string, string> { ["note"] = "front, upright" }));
        images[1].Path.Should().Be("b/2.png");
        images[1].Patient.Should().BeNull("an empty patient_id means none");
        images[1].Line.Should().Be(4);
        images[1].Extra!["note"].Should().Be("said \"hi\"\nnext line");
        images[2].Line.Should().Be(6, "the quoted line break counts");
    }

    [Theory]
    [InlineData("path,label\na.png,X,extra\n", "s.csv:2: 3 fields, but the header has 2")]
    [InlineData("path,label\na.png,X\nb.png\n", "s.csv:3: 1 fields, but the header has 2")]
    [InlineData("path,label\na.png,\"X\n", "s.csv:2: a quoted field is not closed")]
    [InlineData("path,label\na.png,\"X\"y\n", "s.csv:2: text after a closing quote")]
    [InlineData("path,label\na\"b.png,X\n", "s.csv:2: a quote inside an unquoted field")]
    [InlineData("path,label\n,X\n", "s.csv:2: empty path")]
    [InlineData("path,label\na.png, \n", "s.csv:2: empty label")]
    [InlineData("file,label\na.png,X\n", "s.csv:1: header must name the columns 'path' and 'label'*")]
    [InlineData("path,label,Path\n", "s.csv:1: column 'Path' appears twice")]
    [InlineData("", "s.csv: empty*")]
    public void A_malformed_csv_is_one_error_naming_its_line(string text, string message)
    {
        var act = () => CsvSource.Parse(text, "s.csv");
        act.Should().Throw<FormatException>().WithMessage(message);
    }
}

public class IngestRuleTests
{
    [Theory]
    [InlineData("80/10/10", 80, 10, 10)]
    [InlineData("70/15/15", 70, 15, 15)]
    [InlineData(" 90 / 0 / 10 ", 90, 0, 10)]
    public void Split_ratios_parse_as_percentages(string text, int train, int val, int test) =>
        SplitRatios.Parse(text).Should().Be(new SplitRatios(train, val, test));

    [Theory]
    [InlineData("80/10")]
    [InlineData("80/10/20")]
    [InlineData("0/50/50")]
    [InlineData("80/-10/30")]
    [InlineData("eighty/10/10")]
    public void Bad_split_ratios_are_refused(string text) =>
        ((Action)(() => SplitRatios.Parse(text))).Should().Throw<FormatException>().WithMessage("--split:*");

    [Fact]
    public void Classes_from_labels_put_the_papers_seven_first_under_their_names()
    {
        var classes = ClassList.FromLabels(["sarcoidosis", "pleural_effusion", "PNEUMONIA", "Pneumonia", "Asbestosis"]);
        classes.Names.Should().Equal("Pneumonia", "Pleural Effusion", "Asbestosis", "sarcoidosis");
        classes.IndexOf("Pleural Effusion").Should().Be(1);
        classes.IndexOf("pleural_effusion").Should().Be(1);
        classes.IndexOf("Emphysema").Should().Be(-1);
    }

    [Fact]
    public void A_given_class_list_is_kept_in_its_order_and_checked()
    {
        ClassList.Given(["b", "a"]).Names.Should().Equal("b", "a");
        ((Action)(() => ClassList.Given(["a", "A"]))).Should().Throw<FormatException>().WithMessage("*listed twice*");
        ((Action)(() => ClassList.Given(["a"]))).Should().Throw<FormatException>();
        ((Action)(() => ClassList.FromLabels(["a", "A"]))).Should().Throw<FormatException>().WithMessage("*1 class*");
    }

    [Fact]
    public void Patient_ids_come_from_the_source_then_the_pattern_then_the_image_itself()
    {
        var rule = new PatientIdRule(@"^[^/]+/(P\d+)_");
        rule.IdOf(new SourceImage("X/P12_a.png", "X", "given", 2)).Should().Be("given");
        rule.IdOf(new SourceImage("X/P12_a.png", "X", null, 0)).Should().Be("P12");
        rule.IdOf(new SourceImage("X/other.png", "X", null, 0)).Should().Be("image:X/other.png");
        rule.Describe([new("X/P12_a.png", "X", "given", 2), new("X/P12_a.png", "X", null, 0), new("X/o.png", "X", null, 0)])
            .Should().Be("1 from the source's patient_id column; 1 from the pattern '^[^/]+/(P\\d+)_' on the file path; " +
                         "1 without one, each its own patient (a patient's images may then span splits)");
        ((Action)(() => new PatientIdRule("("))).Should().Throw<FormatException>().WithMessage("--patient-pattern:*");
    }

    [Fact]
    public void Patients_with_conflicting_labels_are_listed_with_their_counts()
    {
        var conflicts = PatientSplitter.Conflicts([("b", 1), ("a", 0), ("a", 2), ("a", 0), ("c", 1), ("c", 1)]);
        conflicts.Should().ContainSingle();
        conflicts[0].Patient.Should().Be("a");
        conflicts[0].Labels.Should().BeEquivalentTo(new Dictionary<int, int> { [0] = 2, [2] = 1 });
    }

    [Fact]
    public void The_qc_table_counts_kept_and_rejected_images_per_class_and_reason()
    {
        var qc = new QcReport(6, new Dictionary<string, int> { ["A"] = 3 },
            [new("A/x.png", "A", QcReasons.Truncated), new("B/y.png", "B", QcReasons.UnknownClass), new("A/z.png", "A", QcReasons.Truncated)],
            []);
        qc.RejectedByReason.Should().Equal(new Dictionary<string, int> { [QcReasons.UnknownClass] = 1, [QcReasons.Truncated] = 2 });
        qc.ToTable().Should().Be(
            "quality control: 6 images examined, 3 kept, 3 left out\n" +
            "class  kept  unknown-class  truncated\n" +
            "A         3              0          2\n" +
            "B         0              1          0\n" +
            "total     3              1          2\n");
        QcReport.FromJson(qc.ToJson()).Should().BeEquivalentTo(qc);
    }

    [Fact]
    public void The_split_table_counts_images_per_class_and_split_like_table_1()
    {
        var manifest = new DatasetManifest(DatasetManifest.FormatName, 1, false, 8, 8, "images.u8", ["A", "B"],
            [new(0, 0, "p", Splits.Train, "x"), new(1, 0, "q", Splits.Test, "y"), new(2, 1, "r", Splits.Validation, "z"), new(3, 0, "p", Splits.Train, "w")],
            "h", "t");
        SplitTable.Of(manifest).Should().Equal(
            new SplitTableRow("A", 2, 0, 1, 3, 75), new SplitTableRow("B", 0, 1, 0, 1, 25));
    }
}
