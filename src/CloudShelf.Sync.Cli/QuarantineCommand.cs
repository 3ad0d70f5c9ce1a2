using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Postgres;

namespace CloudShelf.Sync.Cli;

/// <summary><c>quarantine list</c>, <c>quarantine replay</c> and <c>quarantine import</c>.</summary>
internal static class QuarantineCommand
{
    public static Command Create(CliContext cli) =>
        new("quarantine", "List quarantined records, send them through the sync again, or import the on-failure batches")
        {
            CreateList(cli),
            CreateReplay(cli),
            QuarantineImportCommand.Create(cli),
        };

    private static Command CreateList(CliContext cli)
    {
        var table = new Option<string>("--table") { Description = "Only records of this table (target or source name)", HelpName = "T" };
        var all = new Option<bool>("--all") { Description = "Resolved records too, not only the open ones" };
        var limit = CliOptions.WholeNumber("--limit", "At most this many records, newest first", 1, int.MaxValue, 1000);
        var json = CliOptions.Json();
        var command = new Command("list", "List quarantined records (open ones unless --all)") { table, all, limit, json };
        command.SetAction((parse, cancellationToken) => ListAsync(cli,
            parse.GetValue(table), parse.GetValue(all), parse.GetValue(limit), parse.GetValue(json), cancellationToken));
        return command;
    }

    private static Command CreateReplay(CliContext cli)
    {
        var ids = new Option<long[]>("--id")
        {
            Description = "A quarantine id; repeatable, or comma-separated",
            HelpName = "N",
            CustomParser = ParseIds,
        };
        var allOpen = new Option<bool>("--all-open") { Description = "Every open record" };
        var json = CliOptions.Json();
        var command = new Command("replay", "Send quarantined records through the sync again, with the same ordering guard") { ids, allOpen, json };
        command.Validators.Add(result =>
        {
            // Tokens, not values: a malformed --id has its own error, and its value cannot be read.
            // System.CommandLine lets a list option go without a value, so that is checked here too.
            if (result.GetResult(ids) is { Tokens.Count: 0 })
                result.AddError("Required argument missing for option: '--id'.");
            else if (result.GetValue(allOpen) == result.GetResult(ids) is { Tokens.Count: > 0 })
                result.AddError("quarantine replay needs either --id N (repeatable, or comma-separated) or --all-open.");
        });
        command.SetAction((parse, cancellationToken) => ReplayAsync(cli,
            parse.GetValue(ids) ?? [], parse.GetValue(allOpen), parse.GetValue(json), cancellationToken));
        return command;
    }

    private static long[] ParseIds(ArgumentResult result)
    {
        var ids = new List<long>();
        foreach (var text in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                result.AddError($"--id must be a quarantine id (a whole number), got '{text}'.");
                return [];
            }
            ids.Add(id);
        }
        return [.. ids];
    }

    private static async Task<int> ListAsync(CliContext cli, string? table, bool all, int limit, bool json, CancellationToken cancellationToken)
    {
        await using var services = await cli.StartAsync("quarantine", cancellationToken);
        await services.Migrator.EnsureCompatibleAsync(cancellationToken);
        var records = await services.Quarantine.ListAsync(table, all, limit, cancellationToken);
        if (json) WriteJson(cli.Console.Out, records);
        else QuarantineTable.Write(cli, records);
        return ExitCodes.Ok;
    }

    private static async Task<int> ReplayAsync(CliContext cli, IReadOnlyList<long> ids, bool all, bool json, CancellationToken cancellationToken)
    {
        await using var services = await cli.StartAsync("quarantine", cancellationToken);
        await services.Migrator.EnsureCompatibleAsync(cancellationToken);
        var result = await services.Replayer.ReplayAsync(all ? null : ids, cancellationToken);
        services.Metrics.Flush();

        if (json)
        {
            var report = JsonSerializer.Serialize(new Dictionary<string, int>
            {
                ["attempted"] = result.Attempted,
                ["applied"] = result.Applied,
                ["superseded"] = result.Superseded,
                ["skipped"] = result.Skipped,
                ["stillQuarantined"] = result.StillQuarantined,
                ["failed"] = result.Failed,
            }, CliJsonContext.Default.DictionaryStringInt32);
            cli.Console.Out.WriteLine(report);
        }
        else
        {
            cli.Console.Out.WriteLine(
                $"replayed {result.Attempted}: {result.Applied} applied, {result.Superseded} superseded, {result.Skipped} skipped, " +
                $"{result.StillQuarantined} still quarantined, {result.Failed} failed");
        }
        return result.StillQuarantined == 0 && result.Failed == 0 ? ExitCodes.Ok : ExitCodes.Problem;
    }

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
