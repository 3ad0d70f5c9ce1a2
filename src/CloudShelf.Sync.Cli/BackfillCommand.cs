using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>backfill [--tables T,...] [--segments N] [--parallel N] [--rate RCU] [--page-size N] [--restart] [--json]</c>:
/// loads the items that existed before the streams were enabled; resumes from its checkpoints.
/// </summary>
internal static class BackfillCommand
{
    private sealed record Arguments(string? Tables, int Segments, int? Parallel, double? Rate, int PageSize, bool Restart, bool Json);

    public static Command Create(CliContext cli)
    {
        var tables = new Option<string>("--tables") { Description = "Comma-separated tables (target or source names); default: every synced table", HelpName = "T,..." };
        var segments = CliOptions.WholeNumber("--segments", "Parallel scan segments per table", 1, 1_000_000, 4);
        var parallel = CliOptions.OptionalWholeNumber("--parallel", "Segments scanned at once [default: min(segments, 8)]", 1, 64);
        var rate = CliOptions.PositiveNumber("--rate", "Cap on read capacity units consumed per second", "RCU/s", "read capacity units per second");
        var pageSize = CliOptions.WholeNumber("--page-size", "Items per Scan page", 1, 10_000, 500);
        var restart = new Option<bool>("--restart") { Description = "Forget the checkpoints and scan again" };
        var json = CliOptions.Json();

        var command = new Command("backfill", "Load the items that predate the streams (resumes from checkpoints)")
        {
            tables, segments, parallel, rate, pageSize, restart, json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(cli, new Arguments(
            parse.GetValue(tables), parse.GetValue(segments), parse.GetValue(parallel), parse.GetValue(rate),
            parse.GetValue(pageSize), parse.GetValue(restart), parse.GetValue(json)), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, Arguments args, CancellationToken cancellationToken)
    {
        var started = cli.Time.GetTimestamp();
        await using var services = await cli.StartAsync("backfill", cancellationToken);
        var tables = SelectTables(services.Mapping, args.Tables);
        await services.Migrator.MigrateAsync(cancellationToken);
        var runner = new BackfillRunner(services.Backfiller, services.DynamoDb);
        var estimate = await runner.EstimateItemsAsync(tables, cancellationToken);

        var parallel = args.Parallel ?? Math.Min(args.Segments, 8);
        var options = new BackfillOptions(args.PageSize, args.Rate);
        var summary = await BackfillProgress.RunAsync(cli, estimate,
            progress => runner.RunAsync(tables, args.Segments, parallel, options, args.Restart, progress, cancellationToken));
        var elapsed = cli.Time.GetElapsedTime(started);

        if (args.Json)
        {
            cli.Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, long>
            {
                ["itemsScanned"] = summary.ItemsScanned,
                ["itemsWritten"] = summary.ItemsWritten,
                ["segments"] = summary.Segments.Count,
                ["segmentsDone"] = summary.Segments.Count(s => s.Done),
            }, CliJsonContext.Default.DictionaryStringInt64));
        }
        else
        {
            foreach (var table in summary.Segments.GroupBy(s => s.SourceTable))
                cli.Console.Out.WriteLine($"{table.Key}: {table.Sum(s => s.ItemsScanned)} items scanned, {table.Sum(s => s.ItemsWritten)} written, " +
                                          $"{table.Count(s => s.Done)}/{table.Count()} segments done");
            cli.Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"backfill {(summary.Done ? "complete" : "incomplete")}: {summary.ItemsScanned} items scanned, {summary.ItemsWritten} written in {elapsed.TotalSeconds:F1} s"));
        }
        return summary.Done ? ExitCodes.Ok : ExitCodes.Problem;
    }

    private static List<TableMapping> SelectTables(SyncMapping mapping, string? names)
    {
        if (string.IsNullOrWhiteSpace(names)) return mapping.Tables.ToList();
        return names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => mapping.ForTable(n) ?? mapping.ForSourceTable(n)
                         ?? throw new UsageException($"--tables: '{n}' is not a synced table ({string.Join(", ", mapping.Tables.Select(t => t.Table))})."))
            .Distinct()
            .ToList();
    }
}
