using System.Text.Json;

namespace CloudShelf.Sync.Cutover;

/// <summary>
/// The report as JSON: <c>{"verdict":"GO","could_not_run":null,"checks":[{"name","value","threshold","ok"}]}</c>,
/// written by hand (no reflection, trim safe).
/// </summary>
public static class CutoverReportJson
{
    /// <summary>The report as UTF-8 JSON.</summary>
    public static byte[] Write(CutoverReport report, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            json.WriteStartObject();
            json.WriteString("verdict", report.Verdict);
            if (report.CouldNotRun is null) json.WriteNull("could_not_run");
            else json.WriteString("could_not_run", report.CouldNotRun);
            json.WriteStartArray("checks");
            foreach (var check in report.Checks)
            {
                json.WriteStartObject();
                json.WriteString("name", check.Name);
                json.WriteString("value", check.Value);
                json.WriteString("threshold", check.Threshold);
                json.WriteBoolean("ok", check.Ok);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
