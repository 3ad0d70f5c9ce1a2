using System.CommandLine;
using System.Globalization;
using System.Text;
using Amazon.Runtime;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>lag [--json]</c>: one sync-lag run from here (the same reading, checkpoints and pending set as the
/// scheduled function), the report on stdout, EMF metrics on stderr. Exit 1 when a table is behind,
/// short of retention headroom, or has lost changes.
/// </summary>
internal static class LagCommand
{
    public static Command Create(CliContext cli)
    {
        var json = CliOptions.Json();
        var command = new Command("lag", "Sync lag, retention headroom, unapplied and lost changes per table (one sync-lag run)") { json };
        command.SetAction((parse, cancellationToken) => RunAsync(cli, parse.GetValue(json), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, bool json, CancellationToken cancellationToken)
    {
        var console = cli.Console;
        await using var services = await cli.StartAsync("lag", cancellationToken);
        await services.Migrator.EnsureCompatibleAsync(cancellationToken);
        LagReport report;
        try
        {
            report = await services.SyncLag.RunAsync(cancellationToken);
        }
        catch (Exception e) when (e is StreamsApiException or AmazonServiceException or HttpRequestException or InvalidOperationException)
        {
            console.Error.WriteLine($"error: cannot read the streams: {e.Message}");
            return ExitCodes.CannotRun;
        }
        services.Metrics.Flush();

        if (json) console.Out.WriteLine(Encoding.UTF8.GetString(LagReportJson.Write(report, indented: true)));
        else WriteTable(console.Out, report);
        return report.Healthy ? ExitCodes.Ok : ExitCodes.Problem;
    }

    private static void WriteTable(TextWriter output, LagReport report)
    {
        output.WriteLine($"{"TABLE",-10} {"LAG (s)",9} {"HEADROOM (s)",13} {"UNAPPLIED",10} {"LOST",6} {"READ",7}  CAUGHT UP");
        foreach (var t in report.Tables)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{t.Table,-10} {t.SyncLag.TotalSeconds,9:0.0} {t.RetentionHeadroom.TotalSeconds,13:0} {t.UnappliedChanges,10} {t.LostChanges,6} {t.RecordsRead,7}  {(t.CaughtUp ? "yes" : "no (budget spent; the next run goes on)")}"));
        }
        if (report.Healthy)
        {
            output.WriteLine("healthy");
            return;
        }
        foreach (var problem in report.Problems) output.WriteLine($"problem: {problem}");
    }
}
