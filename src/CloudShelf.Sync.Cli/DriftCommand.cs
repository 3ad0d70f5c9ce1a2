using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Hosting;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>drift [--tables T,...] [--sample FRACTION] [--repair] [--segments N] [--rate RCU/s] [--budget SECONDS] [--json]</c>:
/// compares DynamoDB with PostgreSQL key by key, records the findings, optionally repairs them.
/// Exit 0 when no drift is known, 1 when some is.
/// </summary>
internal static class DriftCommand
{
    private sealed record Arguments(string? Tables, double? Sample, bool Repair, int Segments, double? Rate, double? Budget, bool Json);

    public static Command Create(CliContext cli)
    {
        var tables = new Option<string>("--tables") { Description = "Comma-separated tables (target or source names); default: every synced table", HelpName = "T,..." };
        var sample = new Option<double?>("--sample")
        {
            Description = "Sampled mode: compare this fraction of the segments, and probe this fraction of the rows for extras",
            HelpName = "FRACTION",
            CustomParser = result =>
            {
                var text = result.Tokens[^1].Value;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 1)
                    return value;
                result.AddError($"--sample must be a fraction greater than 0 and at most 1, got '{text}'.");
                return null;
            },
        };
        var repair = new Option<bool>("--repair") { Description = "Re-apply DynamoDB's current state where they differ (never over a newer change)" };
        var segments = CliOptions.WholeNumber("--segments", "Scan segments of a new pass", 1, 1_000_000, 8);
        var rate = CliOptions.PositiveNumber("--rate", "Cap on read capacity units consumed per second", "RCU/s", "read capacity units per second");
        var budget = CliOptions.PositiveNumber("--budget", "Start no new page after this many seconds; the next run continues the pass", "SECONDS", "a number of seconds");
        var json = CliOptions.Json();

        var command = new Command("drift", "Compare DynamoDB with PostgreSQL key by key; record, count and optionally repair the drift")
        {
            tables, sample, repair, segments, rate, budget, json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(cli, new Arguments(
            parse.GetValue(tables), parse.GetValue(sample), parse.GetValue(repair), parse.GetValue(segments), parse.GetValue(rate),
            parse.GetValue(budget), parse.GetValue(json)), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, Arguments args, CancellationToken cancellationToken)
    {
        await using var services = await cli.StartAsync("drift", cancellationToken);
        var names = string.IsNullOrWhiteSpace(args.Tables)
            ? null
            : args.Tables.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        try
        {
            services.Drift.ResolveTables(names);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--tables: {e.Message}");
        }
        await services.Migrator.EnsureCompatibleAsync(cancellationToken);

        var report = await services.Drift.RunAsync(new DriftOptions
        {
            Tables = names,
            SampleFraction = args.Sample,
            Repair = args.Repair,
            Segments = args.Segments,
            ReadUnitsPerSecond = args.Rate ?? services.Settings.DriftReadUnitsPerSecond,
            TimeBudget = args.Budget is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        }, cancellationToken);
        services.Metrics.Flush();

        if (args.Json)
        {
            cli.Console.Out.WriteLine(JsonSerializer.Serialize(DriftResponse.From(report), CliJsonContext.Default.DriftResponse));
        }
        else
        {
            foreach (var table in report.Tables)
            {
                cli.Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{table.Table}: {table.ItemsCompared} compared, {table.Missing} missing, {table.Extra} extra, {table.Changed} changed, " +
                    $"{table.InFlight} in flight, {table.Repaired} repaired; coverage {table.Coverage:P0}{(table.FullCoverage ? " (pass complete)" : "")}; " +
                    $"{table.OpenDrift} open"));
                foreach (var finding in table.Findings)
                {
                    var attributes = finding.Attributes.Count == 0 ? "" : " " + string.Join(",", finding.Attributes);
                    var state = finding.Repaired ? " (repaired)" : finding.InFlight ? " (in flight)" : "";
                    cli.Console.Out.WriteLine($"  {DriftStore.KindName(finding.Kind)} {finding.Key}{attributes}{state}");
                }
            }
            cli.Console.Out.WriteLine($"drift run {report.RunId} ({report.Mode}): {(report.OpenDrift == 0 ? "no drift" : $"{report.OpenDrift} item(s) drifted")}");
        }
        return report.OpenDrift == 0 ? ExitCodes.Ok : ExitCodes.Problem;
    }
}
