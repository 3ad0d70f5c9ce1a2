using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Demo;

/// <summary>Reads what the CLI printed: its text reports on stdout, its EMF metrics and JSON output.</summary>
internal static partial class CliReports
{
    /// <summary><c>cloudshelf-books: 2000 items scanned, 1998 written, 4/4 segments done</c> from <c>backfill</c>.</summary>
    public static void AddBackfill(string stdout, SyncMapping mapping, Dictionary<string, TableTally> tallies)
    {
        foreach (Match m in BackfillLine().Matches(stdout))
        {
            if (Tally(m.Groups["table"].Value, mapping, tallies) is not { } tally) continue;
            tally.BackfillScanned += long.Parse(m.Groups["scanned"].Value, CultureInfo.InvariantCulture);
            tally.BackfillWritten += long.Parse(m.Groups["written"].Value, CultureInfo.InvariantCulture);
        }
    }

    /// <summary><c>cloudshelf-books: 120 records read, ...</c> from <c>stream run</c>.</summary>
    public static void AddStreamRun(string stdout, SyncMapping mapping, Dictionary<string, TableTally> tallies)
    {
        foreach (Match m in StreamLine().Matches(stdout))
        {
            if (Tally(m.Groups["table"].Value, mapping, tallies) is { } tally)
                tally.StreamRecordsRead += long.Parse(m.Groups["read"].Value, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Sums stream-sync's per-table RecordsApplied and RecordsQuarantined from the EMF documents in a log.</summary>
    public static void AddMetrics(string logFile, SyncMapping mapping, Dictionary<string, TableTally> tallies)
    {
        foreach (var line in File.ReadLines(logFile))
        {
            if (!line.StartsWith("{\"_aws\"", StringComparison.Ordinal)) continue;
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (!root.TryGetProperty("Table", out var table) || Tally(table.GetString() ?? "", mapping, tallies) is not { } tally) continue;
            tally.StreamRecordsApplied += Sum(root, "RecordsApplied");
            tally.StreamRecordsQuarantined += Sum(root, "RecordsQuarantined");
        }
    }

    /// <summary>stream-sync's RecordsApplied per EMF document (one batch and table), with the document's time stamp.</summary>
    public static List<ThroughputSample> ReadThroughput(string logFile, SyncMapping mapping)
    {
        var samples = new List<ThroughputSample>();
        foreach (var line in File.ReadLines(logFile))
        {
            if (!line.StartsWith("{\"_aws\"", StringComparison.Ordinal)) continue;
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (!root.TryGetProperty("Table", out var table) || !root.TryGetProperty("RecordsApplied", out _)) continue;
            var name = table.GetString() ?? "";
            var target = (mapping.ForSourceTable(name) ?? mapping.ForTable(name))?.Table;
            if (target is null) continue;
            var at = DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("_aws").GetProperty("Timestamp").GetInt64());
            samples.Add(new ThroughputSample(at, target, Sum(root, "RecordsApplied")));
        }
        return samples;
    }

    /// <summary>The records of <c>quarantine list --json</c>.</summary>
    public static List<QuarantineEntry> ParseQuarantine(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => new QuarantineEntry(
            e.GetProperty("id").GetInt64(),
            e.GetProperty("targetTable").GetString() ?? e.GetProperty("sourceTable").GetString() ?? "?",
            e.GetProperty("key").GetString() ?? "?",
            e.GetProperty("eventName").GetString() ?? "?",
            e.GetProperty("reason").GetString() ?? "",
            e.GetProperty("errorCode").GetString())).ToList();
    }

    private static long Sum(JsonElement root, string metric)
    {
        if (!root.TryGetProperty(metric, out var value)) return 0;
        return value.ValueKind switch
        {
            JsonValueKind.Number => (long)value.GetDouble(),
            JsonValueKind.Array => value.EnumerateArray().Sum(v => (long)v.GetDouble()),
            _ => 0,
        };
    }

    private static TableTally? Tally(string name, SyncMapping mapping, Dictionary<string, TableTally> tallies) =>
        tallies.GetValueOrDefault((mapping.ForSourceTable(name) ?? mapping.ForTable(name))?.Table ?? name);

    [GeneratedRegex(@"^(?<table>\S+): (?<scanned>\d+) items scanned, (?<written>\d+) written", RegexOptions.Multiline)]
    private static partial Regex BackfillLine();

    [GeneratedRegex(@"^(?<table>\S+): (?<read>\d+) records read", RegexOptions.Multiline)]
    private static partial Regex StreamLine();
}
