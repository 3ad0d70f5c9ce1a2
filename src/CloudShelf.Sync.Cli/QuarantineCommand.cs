using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Postgres;

namespace CloudShelf.Sync.Cli;

/// <summary><c>quarantine list</c> and <c>quarantine replay</c>.</summary>
internal static class QuarantineCommand
{
    public static async Task<int> RunAsync(IEnumerable<string> args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args,
            new HashSet<string> { "--table", "--limit", "--id", "--s3", "--dir" },
            new HashSet<string> { "--json", "--all", "--all-open" });
        if (parsed.Positional.Count != 1 || parsed.Positional[0] is not ("list" or "replay" or "import"))
            throw new UsageException("quarantine needs a subcommand: list, replay or import.");

        return parsed.Positional[0] switch
        {
            "list" => await ListAsync(parsed, console, environment, time, cancellationToken),
            "import" => await QuarantineImportCommand.RunAsync(parsed, console, environment, time, cancellationToken),
            _ => await ReplayAsync(parsed, console, environment, time, cancellationToken),
        };
    }

    private static async Task<int> ListAsync(CliArguments args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var limit = 1000;
        if (args.Value("--limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1))
            throw new UsageException($"--limit must be a positive whole number, got '{limitText}'.");

        await using var services = await CliApplication.StartAsync(console, environment, time, "quarantine", cancellationToken);
        await services.Migrator.MigrateAsync(cancellationToken);
        var records = await services.Quarantine.ListAsync(args.Value("--table"), args.Flag("--all"), limit, cancellationToken);
        if (args.Flag("--json")) WriteJson(console.Out, records);
        else WriteTable(console.Out, records);
        return ExitCodes.Ok;
    }

    private static async Task<int> ReplayAsync(CliArguments args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        foreach (var text in args.Values("--id").SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw new UsageException($"--id must be a quarantine id (a whole number), got '{text}'.");
            ids.Add(id);
        }
        var all = args.Flag("--all-open");
        if (all == (ids.Count > 0))
            throw new UsageException("quarantine replay needs either --id N (repeatable, or comma-separated) or --all-open.");

        await using var services = await CliApplication.StartAsync(console, environment, time, "quarantine", cancellationToken);
        await services.Migrator.MigrateAsync(cancellationToken);
        var result = await services.Replayer.ReplayAsync(all ? null : ids, cancellationToken);
        services.Metrics.Flush();

        if (args.Flag("--json"))
        {
            var json = JsonSerializer.Serialize(new Dictionary<string, int>
            {
                ["attempted"] = result.Attempted,
                ["applied"] = result.Applied,
                ["superseded"] = result.Superseded,
                ["skipped"] = result.Skipped,
                ["stillQuarantined"] = result.StillQuarantined,
                ["failed"] = result.Failed,
            }, CliJsonContext.Default.DictionaryStringInt32);
            console.Out.WriteLine(json);
        }
        else
        {
            console.Out.WriteLine(
                $"replayed {result.Attempted}: {result.Applied} applied, {result.Superseded} superseded, {result.Skipped} skipped, " +
                $"{result.StillQuarantined} still quarantined, {result.Failed} failed");
        }
        return result.StillQuarantined == 0 && result.Failed == 0 ? ExitCodes.Ok : ExitCodes.Problem;
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<QuarantinedRecord> records)
    {
        if (records.Count == 0)
        {
            output.WriteLine("no quarantined records");
            return;
        }
        output.WriteLine($"{"ID",-8} {"TABLE",-12} {"KEY",-28} {"EVENT",-7} {"SEQUENCE",-42} {"QUARANTINED (UTC)",-20} {"STATUS",-12} REASON");
        foreach (var r in records)
        {
            var status = r.ResolvedAt is null ? "open" : r.Resolution ?? "resolved";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Id,-8} {Cut(r.TargetTable ?? r.SourceTable, 12),-12} {Cut(r.Key, 28),-28} {r.EventName ?? "-",-7} {r.SequenceNumber ?? "-",-42} {r.QuarantinedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {status,-12} {r.Reason}"));
        }
        output.WriteLine($"{records.Count} record(s)");
    }

    private static string Cut(string? value, int width) =>
        value is null ? "-" : value.Length <= width ? value : string.Concat(value.AsSpan(0, width - 1), "…");

    private static void WriteJson(TextWriter output, IReadOnlyList<QuarantinedRecord> records)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var r in records)
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", r.Id);
                writer.WriteString("sourceTable", r.SourceTable);
                writer.WriteString("targetTable", r.TargetTable);
                writer.WriteString("key", r.Key);
                writer.WriteString("sequenceNumber", r.SequenceNumber);
                writer.WriteString("eventName", r.EventName);
                writer.WriteString("reason", r.Reason);
                writer.WriteString("errorCode", r.ErrorCode);
                writer.WriteString("quarantinedAt", r.QuarantinedAt);
                writer.WriteNumber("replayAttempts", r.ReplayAttempts);
                if (r.ResolvedAt is { } resolved) writer.WriteString("resolvedAt", resolved);
                else writer.WriteNull("resolvedAt");
                writer.WriteString("resolution", r.Resolution);
                writer.WritePropertyName("record");
                writer.WriteRawValue(r.RecordJson);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, int>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class CliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
