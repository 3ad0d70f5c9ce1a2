using System.Text.Json;

namespace CloudShelf.Sync.Tests.Observability;

internal static class EmittedLines
{
    // Parsing each line on its own is the assertion that every line is one whole JSON object.
    public static List<JsonElement> Parse(StringWriter output) =>
        output.ToString()
            .Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)
            .Select(ParseLine)
            .ToList();

    public static JsonElement ParseLine(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}
