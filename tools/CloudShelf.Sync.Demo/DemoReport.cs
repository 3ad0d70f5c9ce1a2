using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The migration report on the terminal (Spectre.Console): items per table, records applied, the
/// quarantine with its reasons and resolution, lag over time, drift, the cut-over checks with their
/// values, and the verdict. <see cref="HtmlReport"/> shows the same on one page, with charts.
/// </summary>
internal static class DemoReport
{
    public static void Print(DemoReportData report)
    {
        var run = report.Run;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(run.Output) });
        // Piped (a test, a log file): wide enough that no table wraps its numbers.
        if (Console.IsOutputRedirected) console.Profile.Width = 160;

        console.WriteLine();
        console.Write(new Rule("[bold]Migration report[/]").LeftJustified());

        var tables = NewTable("Items per table (after the cut-over check)",
            "table", "DynamoDB", "PostgreSQL", "equal", "backfilled", "stream rec.", "applied", "quarantined", "p50 ms", "p99 ms", "samples");
        foreach (var c in report.Comparisons)
        {
            var t = run.Tallies[c.Table];
            var l = report.Latencies[c.Table];
            tables.AddRow(Cells(c.Table, N(c.DynamoItems), N(c.PostgresRows), N(c.Equal), N(t.BackfillWritten), N(t.StreamRecordsRead),
                N(t.StreamRecordsApplied), N(t.StreamRecordsQuarantined), VerifyPhase.Ms(l.P50), VerifyPhase.Ms(l.P99), N(l.Count)));
        }
        console.Write(tables);
        console.WriteLine("   equal: rows whose rebuilt item equals DynamoDB's; backfilled: rows the backfill wrote; stream rec.: records stream run read;");
        console.WriteLine("   applied, quarantined: stream-sync's RecordsApplied and RecordsQuarantined (the bootstrap's EMF metrics);");
        console.WriteLine("   p50, p99: from the traffic's last write to an item to its row's commit (synced_at)");

        console.Write(new Rule("Quarantine").LeftJustified());
        console.WriteLine($"after the replay of ordering conflicts ({run.ReplaySummary}): {run.QuarantineFound.Count} open record(s)");
        if (run.QuarantineFound.Count > 0)
        {
            var quarantine = NewTable(null, "id", "table", "key", "event", "code", "reason");
            foreach (var q in run.QuarantineFound) quarantine.AddRow(Cells($"#{q.Id}", q.Table, q.Key, q.EventName, q.ErrorCode ?? "", q.Reason));
            console.Write(quarantine);
        }
        foreach (var r in run.Resolutions) console.WriteLine("operator: " + r);
        console.WriteLine($"replay after the fix: {(run.ResolutionReplaySummary.Length > 0 ? run.ResolutionReplaySummary : "none")}; open now: {report.OpenQuarantine.Count}");
        console.WriteLine("seeded defects:");
        foreach (var (d, outcome) in report.DefectOutcomes()) console.WriteLine($"   {d.Table} {d.Kind}: {outcome}");

        console.Write(new Rule("Sync lag over time (sync-lag on its schedule)").LeftJustified());
        var names = report.Comparisons.Select(c => c.Table).ToList();
        var lag = NewTable(null, ["t (s)", .. names.Select(n => $"{n} lag s / unapplied"), "lost"]);
        foreach (var group in report.Lag.GroupBy(s => s.Finished).OrderBy(g => g.Key))
        {
            var byTable = group.ToDictionary(s => s.Table, StringComparer.Ordinal);
            lag.AddRow(Cells([F(report.Since(group.Key), "F0"),
                .. names.Select(n => byTable.TryGetValue(n, out var s) ? $"{F(s.LagSeconds, "F1")} / {s.Unapplied}" : "-"),
                N(group.Sum(s => s.Lost))]));
        }
        console.Write(lag);

        console.Write(new Rule("Drift (drift-detector on its schedule, then the final pass)").LeftJustified());
        var drift = NewTable(null, ["t (s)", .. names.Select(n => $"{n} compared / open / in flight"), "pass"]);
        foreach (var group in report.Drift.GroupBy(s => s.At).OrderBy(g => g.Key))
        {
            var byTable = group.ToDictionary(s => s.Table, StringComparer.Ordinal);
            drift.AddRow(Cells([F(report.Since(group.Key), "F0"),
                .. names.Select(n => byTable.TryGetValue(n, out var s) ? $"{N(s.Compared)} / {s.OpenDrift} / {s.InFlight}" : "-"),
                group.All(s => s.FullCoverage) ? "complete" : "partial"]));
        }
        console.Write(drift);

        console.Write(new Rule("Cut-over checks (cutover-check --final)").LeftJustified());
        var checks = NewTable(null, "", "check", "value", "threshold");
        foreach (var c in run.CutoverChecks)
            checks.AddRow(new Markup(c.Ok ? "[green]ok[/]" : "[red]FAIL[/]"), new Text(c.Name), new Text(c.Value), new Text(c.Threshold));
        console.Write(checks);

        console.Write(new Rule("Phases").LeftJustified());
        foreach (var (phase, elapsed) in run.Timings) console.WriteLine(FormattableString.Invariant($"   {elapsed.TotalSeconds,6:F1} s  {phase}"));

        foreach (var c in report.Comparisons)
        {
            foreach (var d in c.Differences) console.WriteLine($"difference {c.Table} {d}");
            if (c.DifferenceCount > c.Differences.Count) console.WriteLine($"... and {c.DifferenceCount - c.Differences.Count} more in {c.Table}");
        }
        foreach (var p in report.Problems) console.WriteLine("problem: " + p);
        console.WriteLine(report.Comparisons.All(c => c.DifferenceCount == 0 && c.Excused.Count == 0)
            ? FormattableString.Invariant($"PostgreSQL equals DynamoDB: {report.Comparisons.Sum(c => c.Equal)} items in {report.Comparisons.Count} tables")
            : $"PostgreSQL does NOT equal DynamoDB; logs in {run.Stack.LogDirectory}");
        var verdict = run.Verdict.Length == 0 ? "NO VERDICT" : run.Verdict;
        console.Write(new Panel(new Markup($"[bold {(run.Verdict == "GO" ? "green" : "red")}]verdict: {Markup.Escape(verdict)}[/]")).Border(BoxBorder.Heavy));
    }

    private static Table NewTable(string? title, params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        if (title is not null) table.Title(new TableTitle(title));
        foreach (var (column, i) in columns.Select((c, i) => (c, i)))
        {
            var c = new TableColumn(new Text(column));
            // Numbers right-aligned; the first column and free text stay left.
            if (i > 0 && column is not ("check" or "value" or "threshold" or "reason" or "key" or "table" or "event" or "code" or "pass" or "id" or "")) c.RightAligned();
            table.AddColumn(c);
        }
        return table;
    }

    private static IRenderable[] Cells(params string[] cells) => cells.Select(c => (IRenderable)new Text(c)).ToArray();

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
