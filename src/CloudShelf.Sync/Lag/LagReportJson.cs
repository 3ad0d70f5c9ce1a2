using System.Text.Json;

namespace CloudShelf.Sync.Lag;

/// <summary>
/// The JSON form of a <see cref="LagReport"/>, shared by the sync-lag function's response and
/// <c>cloudshelf-sync lag --json</c>: <c>healthy</c>, <c>problems</c>, and per table <c>table</c>,
/// <c>syncLagSeconds</c>, <c>retentionHeadroomSeconds</c>, <c>unappliedChanges</c>, <c>lostChanges</c>
/// (and what the run read).
/// </summary>
public static class LagReportJson
{
    /// <summary>The report as UTF-8 JSON.</summary>
    public static byte[] Write(LagReport report, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            json.WriteStartObject();
            json.WriteBoolean("healthy", report.Healthy);
            json.WriteStartArray("problems");
            foreach (var problem in report.Problems) json.WriteStringValue(problem);
            json.WriteEndArray();
            json.WriteStartArray("tables");
            foreach (var t in report.Tables)
            {
                json.WriteStartObject();
                json.WriteString("table", t.Table);
                json.WriteNumber("syncLagSeconds", Math.Round(t.SyncLag.TotalSeconds, 3));
                json.WriteNumber("retentionHeadroomSeconds", Math.Round(t.RetentionHeadroom.TotalSeconds, 3));
                json.WriteNumber("unappliedChanges", t.UnappliedChanges);
                json.WriteNumber("lostChanges", t.LostChanges);
                json.WriteNumber("newlyLost", t.NewlyLost);
                json.WriteNumber("recordsRead", t.RecordsRead);
                json.WriteBoolean("caughtUp", t.CaughtUp);
                json.WriteNumber("retentionGaps", t.RetentionGaps);
                json.WriteString("sourceTable", t.SourceTable);
                json.WriteString("streamArn", t.StreamArn);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
