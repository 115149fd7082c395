namespace Orchestrator.Domain.Specs;

/// <summary>The checks every id's text passes.</summary>
internal static class IdText
{
    /// <exception cref="ArgumentException"><paramref name="value"/> is null, empty or whitespace.</exception>
    public static string Checked(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return value;
    }

    /// <summary>An id the user typed, as is.</summary>
    /// <exception cref="InvalidInputException"><paramref name="text"/> is blank: one line naming <paramref name="what"/>.</exception>
    public static string Typed(string? text, string what, string hint) =>
        string.IsNullOrWhiteSpace(text) ? throw new InvalidInputException($"a {what} must not be blank ({hint})") : text;
}
