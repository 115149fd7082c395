using Orchestrator.Reporting.Tables;

namespace Orchestrator.Reporting.Tests;

public class CsvTests
{
    [Fact]
    public void Quoted_fields_hold_commas_quotes_and_line_breaks()
    {
        var table = CsvTable.Parse("name,\"a, b\",c\r\n\"x \"\"1\"\"\",1.5,2\r\n\r\n\"multi\nline\",3,4\n");
        table.Header.Should().Equal("name", "a, b", "c");
        table.Rows.Should().HaveCount(2);
        table.Rows[0].Fields.Should().Equal("x \"1\"", "1.5", "2");
        table.Rows[0].Line.Should().Be(2);
        table.Rows[1].Fields.Should().Equal("multi\nline", "3", "4");
        table.Rows[1].Number.Should().Be(2);
        table.Rows[1].Line.Should().Be(4, "the blank line 3 is skipped but counted");
    }

    [Fact]
    public void A_last_line_without_a_line_break_and_a_byte_order_mark_are_fine()
    {
        var table = CsvTable.Parse("\uFEFFa,b\n1,2");
        table.Header.Should().Equal("a", "b");
        table.Rows.Single().Fields.Should().Equal("1", "2");
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a,a\n1,2\n", "'a' twice")]
    [InlineData("a,b\n1\n", "line 2 has 1 field(s) but the header has 2")]
    [InlineData("a,b\n\"1,2\n", "never closed")]
    [InlineData("a,b\n1\"x,2\n", "quote inside an unquoted field")]
    [InlineData("a,b\n\"1\"x,2\n", "after a closing quote")]
    public void Malformed_csv_is_refused_with_its_line(string text, string mentions)
    {
        FluentActions.Invoking(() => CsvTable.Parse(text)).Should().Throw<CsvException>().WithMessage($"*{mentions}*");
    }

    [Fact]
    public void The_matrix_takes_the_named_columns_in_the_order_named()
    {
        var table = CsvTable.Parse("backbone,b,a\nx, 0.5 ,1e-1\ny,2,3\n");
        var m = BlockMatrix.FromCsv(table, ["a", "b"]);
        m.Treatments.Should().Equal("a", "b");
        m.Blocks.Should().Be(2);
        m.Values[0].Should().Equal(0.1, 0.5);
        m.Column(1).Should().Equal(0.5, 2.0);
    }

    [Theory]
    [InlineData("c", "no column 'c' in the CSV (its columns: 'backbone', 'b', 'a')")]
    [InlineData("backbone", "row 1 (line 2), column 'backbone': 'x' is not a number")]
    public void Missing_columns_and_non_numbers_are_named(string column, string message)
    {
        var table = CsvTable.Parse("backbone,b,a\nx,0.5,0.1\ny,2,3\n");
        FluentActions.Invoking(() => BlockMatrix.FromCsv(table, ["a", column])).Should().Throw<CsvException>().WithMessage(message);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("")]
    [InlineData("1,5")]
    public void Only_finite_invariant_culture_numbers_count(string cell)
    {
        var table = CsvTable.Parse($"a,b\n1,\"{cell}\"\n");
        FluentActions.Invoking(() => BlockMatrix.FromCsv(table, ["a", "b"])).Should().Throw<CsvException>().WithMessage("*row 1 (line 2), column 'b'*");
    }
}
