using System.CommandLine;
using System.Text;
using CloudShelf.Sync.Cutover;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>cutover-check [--final] [--timeout S] [--json]</c>: the migration guide's pre-cut-over validation,
/// one line per check with its value and threshold, then GO or NO-GO. Exit 0 on GO, 1 on NO-GO, 2 when
/// a store could not be reached.
/// </summary>
internal static class CutoverCheckCommand
{
    public static Command Create(CliContext cli)
    {
        var final = new Option<bool>("--final") { Description = "Writes are frozen: wait until no stream change is unapplied, and require exact counts" };
        var timeout = CliOptions.PositiveNumber("--timeout", "With --final: how long to wait for the stream audit to drain (default 300)", "S", "a number of seconds");
        var json = CliOptions.Json();
        var command = new Command("cutover-check", "Pre-cut-over validation: connectivity, schema, lag, counts, drift, quarantine, error rate; GO or NO-GO")
        {
            final, timeout, json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(cli, parse.GetValue(final), parse.GetValue(timeout), parse.GetValue(json), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, bool final, double? timeout, bool json, CancellationToken cancellationToken)
    {
        var settings = CutoverSettings.Load(cli.Environment);
        await using var services = await cli.StartAsync("cutover-check", cancellationToken);
        using var streams = DynamoDbStreamsClient.Create(services.Settings, cli.Time);
        var gate = new CutoverGate(services.Mapping, services.DataSource, services.Migrator, services.DynamoDb,
            new StreamArnSource(services.Settings.Lag, () => services.DynamoDb), new DynamoDbStreamReader(streams, cli.Time),
            services.SyncLag, services.BatchStats, settings, services.Settings.Lag, cli.Time);
        var report = await gate.RunAsync(new CutoverOptions
        {
            Final = final,
            Timeout = timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : new CutoverOptions().Timeout,
        }, cancellationToken);
        services.Metrics.Flush();

        if (json)
        {
            cli.Console.Out.WriteLine(Encoding.UTF8.GetString(CutoverReportJson.Write(report, indented: true)));
        }
        else
        {
            var width = report.Checks.Count == 0 ? 0 : report.Checks.Max(c => c.Name.Length);
            foreach (var check in report.Checks)
                cli.Console.Out.WriteLine($"{(check.Ok ? "ok  " : "FAIL")}  {check.Name.PadRight(width)}  {check.Value}  (threshold: {check.Threshold})");
            var failed = report.Checks.Count(c => !c.Ok);
            cli.Console.Out.WriteLine(report.Go ? "GO"
                : report.CouldNotRun is { } why ? $"NO-GO: could not run: {why}"
                : $"NO-GO: {failed} of {report.Checks.Count} checks failed");
        }
        return report.Go ? ExitCodes.Ok : report.CouldNotRun is null ? ExitCodes.Problem : ExitCodes.CannotRun;
    }
}
