using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace CloudShelf.Sync.Cli;

/// <summary>Options that several commands share, built the same way everywhere.</summary>
internal static class CliOptions
{
    /// <summary><c>--json</c>: the report as JSON on stdout instead of text.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Print the report as JSON on stdout" };

    /// <summary>An integer option checked against its range; the error names the option, the range and the value given.</summary>
    public static Option<int> WholeNumber(string name, string description, int min, int max, int fallback) =>
        new(name)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => fallback,
            CustomParser = result => ParseWholeNumber(result, name, min, max) ?? fallback,
        };

    /// <summary>Like <see cref="WholeNumber"/>, for an option whose default depends on other options (null when absent).</summary>
    public static Option<int?> OptionalWholeNumber(string name, string description, int min, int max) =>
        new(name)
        {
            Description = description,
            HelpName = "N",
            CustomParser = result => ParseWholeNumber(result, name, min, max),
        };

    /// <summary>A positive decimal number (null when absent).</summary>
    public static Option<double?> PositiveNumber(string name, string description, string helpName, string meaning) =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result =>
            {
                var text = result.Tokens[^1].Value;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value))
                    return value;
                result.AddError($"{name} must be {meaning} (a positive number), got '{text}'.");
                return null;
            },
        };

    // Parsed here rather than by System.CommandLine's int conversion so that every error reads the
    // same way and names the range, whether the value was not a number or out of range.
    private static int? ParseWholeNumber(ArgumentResult result, string name, int min, int max)
    {
        var text = result.Tokens[^1].Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        result.AddError($"{name} must be a whole number from {min} to {max}, got '{text}'.");
        return null;
    }
}
