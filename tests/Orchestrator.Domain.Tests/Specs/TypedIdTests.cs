using System.Text.Json;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Specs;

public class TypedIdTests
{
    [Fact]
    public void Ids_with_the_same_text_are_equal_and_hash_alike()
    {
        new TrialId("t-0123456789ab").Should().Be(new TrialId("t-0123456789ab"));
        (new TrialId("t-0123456789ab") == new TrialId("t-0123456789ab")).Should().BeTrue();
        new TrialId("t-0123456789ab").GetHashCode().Should().Be(new TrialId("t-0123456789ab").GetHashCode());
        new TrialId("t-0123456789ab").Should().NotBe(new TrialId("t-0123456789AB"), "ids compare ordinally");
        new SweepId("sw-2a97516c35").Should().Be(new SweepId("sw-2a97516c35"));
        (new SweepId("sw-2a97516c35") != new SweepId("sw-2a97516c36")).Should().BeTrue();
        new HashSet<TrialId> { new("t-1"), new("t-1"), new("t-2") }.Should().HaveCount(2);
    }

    [Fact]
    public void To_string_is_the_bare_value()
    {
        new TrialId("t-0123456789ab").ToString().Should().Be("t-0123456789ab");
        new SweepId("sw-2a97516c35").ToString().Should().Be("sw-2a97516c35");
        $"trial {new TrialId("t-1")} of {new SweepId("sw-1")}".Should().Be("trial t-1 of sw-1");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    public void A_blank_id_is_refused(string? text)
    {
        FluentActions.Invoking(() => new TrialId(text!)).Should().Throw<ArgumentException>().WithParameterName("Value");
        FluentActions.Invoking(() => new SweepId(text!)).Should().Throw<ArgumentException>().WithParameterName("Value");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_blank_id_typed_by_the_user_is_one_line_of_invalid_input(string? text)
    {
        FluentActions.Invoking(() => TrialId.Parse(text)).Should().Throw<InvalidInputException>()
            .Which.Message.Should().StartWith("a trial id must not be blank").And.NotContain("\n");
        FluentActions.Invoking(() => SweepId.Parse(text)).Should().Throw<InvalidInputException>()
            .Which.Message.Should().StartWith("a sweep id must not be blank").And.NotContain("\n");
    }

    [Fact]
    public void An_id_typed_by_the_user_is_taken_as_is()
    {
        TrialId.Parse("t-0123456789ab").Should().Be(new TrialId("t-0123456789ab"));
        SweepId.Parse("demo sweep").Should().Be(new SweepId("demo sweep"));
    }

    [Fact]
    public void Json_holds_an_id_as_the_plain_string_it_wraps()
    {
        JsonSerializer.Serialize(new TrialId("t-0123456789ab")).Should().Be("\"t-0123456789ab\"");
        JsonSerializer.Serialize(new SweepId("sw-2a97516c35")).Should().Be("\"sw-2a97516c35\"");
        JsonSerializer.Deserialize<TrialId>("\"t-0123456789ab\"").Should().Be(new TrialId("t-0123456789ab"));
        JsonSerializer.Deserialize<SweepId>("\"sw-2a97516c35\"").Should().Be(new SweepId("sw-2a97516c35"));
        JsonSerializer.Serialize(new Held(new TrialId("t-1"), null, new() { [new SweepId("sw-1")] = 2 }))
            .Should().Be("""{"Trial":"t-1","Sweep":null,"Counts":{"sw-1":2}}""");
        JsonSerializer.Deserialize<Held>("""{"Trial":"t-1","Sweep":"sw-1","Counts":{"sw-2":3}}""")
            .Should().BeEquivalentTo(new Held(new TrialId("t-1"), new SweepId("sw-1"), new() { [new SweepId("sw-2")] = 3 }));
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"  \"")]
    [InlineData("null")]
    [InlineData("12")]
    [InlineData("{\"value\":\"t-1\"}")]
    public void Json_that_is_not_a_non_blank_string_is_no_id(string json)
    {
        FluentActions.Invoking(() => JsonSerializer.Deserialize<TrialId>(json)).Should().Throw<JsonException>();
        FluentActions.Invoking(() => JsonSerializer.Deserialize<SweepId>(json)).Should().Throw<JsonException>();
    }

    [Fact]
    public void Content_derived_ids_are_typed()
    {
        Ids.SweepId("demo").Should().Be(new SweepId("sw-2a97516c35"));
    }

    private sealed record Held(TrialId Trial, SweepId? Sweep, Dictionary<SweepId, int> Counts);
}
