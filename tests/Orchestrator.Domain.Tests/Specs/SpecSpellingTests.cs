using System.Text.Json;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Tests.Specs;

public class SpecSpellingTests
{
    [Fact]
    public void Each_choice_is_spelled_as_specs_always_spelled_it()
    {
        SpecSpelling<Strategy>.All.Should().Equal("dynamic", "fixed-top-n", "full", "linear-probe", "two-stage", "fixed-step", "gradual", "chain-thaw", "custom");
        SpecSpelling<StopPolicy>.All.Should().Equal("plateau-after-full-unfreeze", "algorithm-1");
        SpecSpelling<Optimizer>.All.Should().Equal("adam", "sgd");
        SpecSpelling<ClassBalance>.All.Should().Equal("sampler", "loss", "both");
        SpecSpelling<Normalization>.All.Should().Equal("backbone", "scaling", "zscore", "adaptive");
    }

    [Fact]
    public void To_spec_string_and_parse_are_inverse()
    {
        Enum.GetValues<Strategy>().Should().OnlyContain(v => Parse<Strategy>(v.ToSpecString()) == v);
        Enum.GetValues<StopPolicy>().Should().OnlyContain(v => Parse<StopPolicy>(v.ToSpecString()) == v);
        Enum.GetValues<Optimizer>().Should().OnlyContain(v => Parse<Optimizer>(v.ToSpecString()) == v);
        Enum.GetValues<ClassBalance>().Should().OnlyContain(v => Parse<ClassBalance>(v.ToSpecString()) == v);
        Enum.GetValues<Normalization>().Should().OnlyContain(v => Parse<Normalization>(v.ToSpecString()) == v);
    }

    [Theory]
    [InlineData("Dynamic")]
    [InlineData("FixedTopN")]
    [InlineData("0")]
    [InlineData(" dynamic")]
    [InlineData("")]
    public void Only_the_exact_spelling_parses(string text) =>
        SpecSpelling<Strategy>.TryParse(text, out _).Should().BeFalse();

    [Fact]
    public void Json_carries_the_spelling_whatever_the_options()
    {
        JsonSerializer.Serialize(StopPolicy.Algorithm1).Should().Be("\"algorithm-1\"");
        JsonSerializer.Serialize(Normalization.ZScore, JsonSerializerOptions.Web).Should().Be("\"zscore\"");
        JsonSerializer.Deserialize<Strategy>("\"fixed-top-n\"").Should().Be(Strategy.FixedTopN);
    }

    [Theory]
    [InlineData("\"FixedTopN\"")]
    [InlineData("\"fixedTopN\"")]
    [InlineData("1")]
    [InlineData("null")]
    public void Json_other_than_a_spelling_is_refused(string json) =>
        FluentActions.Invoking(() => JsonSerializer.Deserialize<Strategy>(json)).Should().Throw<JsonException>();

    private static T Parse<T>(string text) where T : struct, Enum =>
        SpecSpelling<T>.TryParse(text, out var value) ? value : throw new FormatException(text);
}
