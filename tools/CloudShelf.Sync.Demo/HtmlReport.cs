using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The report as one self-contained page: styles inline, the charts as inline SVG from
/// <see cref="Charts"/>, no script, font or image from elsewhere, so it opens offline.
/// </summary>
internal static partial class HtmlReport
{
    private const double ThroughputBucketSeconds = 2;

    public static string Render(DemoReportData report)
    {
        var run = report.Run;
        var names = report.Comparisons.Select(c => c.Table).ToList();
        var marks = run.Events.Select(e => (report.Since(e.At), e.Label)).ToList();
        var markNames = marks.Count == 0 ? "" : " Dashed lines: " + string.Join(", ", marks.Select(m => FormattableString.Invariant($"{m.Label} ({m.Item1:0} s)"))) + ".";
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>CloudShelf.Sync migration report</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1600px; padding: 0 1rem; color: #1f2328; }
            h1 { margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
            table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
            th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            .verdict { display: inline-block; font-size: 1.6rem; font-weight: bold; padding: .3rem 1.2rem; border-radius: .4rem; color: #fff; }
            .go { background: #1a7f37; } .nogo { background: #cf222e; }
            .ok { color: #1a7f37; font-weight: bold; } .fail { color: #cf222e; font-weight: bold; }
            .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(760px, 1fr)); gap: 1rem; }
            figure.chart { margin: 0; border: 1px solid #d0d7de; border-radius: .4rem; padding: .5rem; background: #fff; }
            figure.chart svg { width: 100%; max-width: 1140px; height: auto; display: block; }
            figure.chart h3 { margin: .2rem 0 0 .5rem; font-size: 1rem; }
            figcaption { font-size: .85rem; color: #57606a; }
            .note { color: #57606a; font-size: .85rem; }
            </style>
            </head>
            <body>
            """);
        html.Append("<h1>CloudShelf.Sync migration report</h1>\n");
        var go = run.Verdict == "GO";
        html.Append(CultureInfo.InvariantCulture, $"<p><span class=\"verdict {(go ? "go" : "nogo")}\" id=\"verdict\">{E(run.Verdict.Length == 0 ? "NO VERDICT" : run.Verdict)}</span> ");
        html.Append(CultureInfo.InvariantCulture, $"&nbsp;cutover-check --final; {E(report.Passed ? "PostgreSQL equals DynamoDB in full" : "the demo FAILED")}. ");
        html.Append(CultureInfo.InvariantCulture, $"Seed {run.Options.Seed}, {run.Catalogue.Books.Count:N0} books, {run.Catalogue.Users.Count:N0} users, {run.Catalogue.Orders.Count:N0} orders, ");
        html.Append(CultureInfo.InvariantCulture, $"{run.Writes.Total:N0} traffic writes; generated {E(run.Time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))}.</p>\n");

        html.Append("<h2>Over time</h2>\n<div class=\"charts\">\n");
        Chart(html, "lag", "Sync lag", "Sync lag per table, from sync-lag on its schedule. DynamoDB Local stamps stream records to the minute (AWS: to the second), so locally this reads up to 60 s high while traffic flows." + markNames,
            Charts.LineChart("seconds", names.Select(n => Series(n, report.Lag.Where(s => s.Table == n), s => s.Finished, s => s.LagSeconds, report)).ToList(), marks));
        Chart(html, "throughput", "Throughput", FormattableString.Invariant($"Records stream-sync applied per second ({ThroughputBucketSeconds:0} s buckets), from the bootstrap's EMF metrics") + markNames,
            Charts.LineChart("records/s", ThroughputSeries(report), marks));
        Chart(html, "unapplied", "Unapplied changes", "Stream changes not yet in PostgreSQL (UnappliedChanges), from sync-lag." + markNames,
            Charts.LineChart("changes", names.Select(n => Series(n, report.Lag.Where(s => s.Table == n), s => s.Finished, s => s.Unapplied, report)).ToList(), marks));
        Chart(html, "drift", "Drift", "Open drift findings per table, from drift-detector on its schedule and the final pass." + markNames,
            Charts.LineChart("open findings", names.Select(n => Series(n, report.Drift.Where(s => s.Table == n), s => s.At, s => s.OpenDrift, report)).ToList(), marks));
        html.Append("</div>\n");

        html.Append("<h2>Items per table</h2>\n");
        Table(html, ["table", "DynamoDB items", "PostgreSQL rows", "equal", "backfilled", "stream records read", "records applied", "records quarantined", "p50 ms", "p99 ms", "samples"],
            report.Comparisons.Select(c =>
            {
                var t = run.Tallies[c.Table];
                var l = report.Latencies[c.Table];
                return new[] { c.Table, N(c.DynamoItems), N(c.PostgresRows), N(c.Equal), N(t.BackfillWritten), N(t.StreamRecordsRead),
                    N(t.StreamRecordsApplied), N(t.StreamRecordsQuarantined), VerifyPhase.Ms(l.P50), VerifyPhase.Ms(l.P99), N(l.Count) };
            }), numeric: true);
        html.Append("<p class=\"note\">equal: rows whose rebuilt item equals DynamoDB's item; backfilled: rows the backfill wrote; records applied and quarantined: stream-sync's RecordsApplied and RecordsQuarantined; p50, p99: from the traffic's last write to an item to its row's commit.</p>\n");

        html.Append("<h2>Quarantine</h2>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p>After the replay of ordering conflicts ({E(run.ReplaySummary)}): {run.QuarantineFound.Count} open record(s), the genuine defects:</p>\n");
        Table(html, ["id", "table", "key", "event", "code", "reason"],
            run.QuarantineFound.Select(q => new[] { $"#{q.Id}", q.Table, q.Key, q.EventName, q.ErrorCode ?? "", q.Reason }));
        html.Append("<p>The operator's step before the final check (which needs an empty quarantine):</p>\n<ul>\n");
        foreach (var r in run.Resolutions) html.Append(CultureInfo.InvariantCulture, $"<li>{E(r)}</li>\n");
        html.Append(CultureInfo.InvariantCulture, $"<li>quarantine replay --all-open: {E(run.ResolutionReplaySummary)}; open now: {report.OpenQuarantine.Count}</li>\n</ul>\n");
        html.Append("<p>Seeded defects:</p>\n");
        Table(html, ["table", "defect", "expected", "outcome"], report.DefectOutcomes().Select(o => new[] { o.Defect.Table, o.Defect.Kind, o.Defect.Expected, o.Outcome }));

        html.Append("<h2>Cut-over checks</h2>\n<table><tr><th></th><th>check</th><th>value</th><th>threshold</th></tr>\n");
        foreach (var c in run.CutoverChecks)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"{(c.Ok ? "ok" : "fail")}\">{(c.Ok ? "ok" : "FAIL")}</td><td>{E(c.Name)}</td><td>{E(c.Value)}</td><td>{E(c.Threshold)}</td></tr>\n");
        html.Append("</table>\n");
        if (run.CutoverCouldNotRun is { } why) html.Append(CultureInfo.InvariantCulture, $"<p class=\"fail\">could not run: {E(why)}</p>\n");
        foreach (var p in report.Problems) html.Append(CultureInfo.InvariantCulture, $"<p class=\"fail\">problem: {E(p)}</p>\n");

        html.Append("<h2>Lag and drift samples</h2>\n");
        Table(html, ["t (s)", .. names.Select(n => $"{n}: lag s / unapplied")],
            report.Lag.GroupBy(s => s.Finished).OrderBy(g => g.Key).Select(g => (string[])[F(report.Since(g.Key)),
                .. names.Select(n => g.FirstOrDefault(s => s.Table == n) is { } s ? $"{s.LagSeconds.ToString("F1", CultureInfo.InvariantCulture)} / {s.Unapplied}" : "-")]), numeric: true);
        Table(html, ["t (s)", .. names.Select(n => $"{n}: compared / open / in flight")],
            report.Drift.GroupBy(s => s.At).OrderBy(g => g.Key).Select(g => (string[])[F(report.Since(g.Key)),
                .. names.Select(n => g.FirstOrDefault(s => s.Table == n) is { } s ? $"{N(s.Compared)} / {s.OpenDrift} / {s.InFlight}" : "-")]), numeric: true);

        html.Append("<h2>Phases</h2>\n");
        Table(html, ["phase", "seconds"], run.Timings.Select(t => new[] { t.Phase, t.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) }));
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static List<(string Name, double[] X, double[] Y)> ThroughputSeries(DemoReportData report)
    {
        var all = report.ThroughputSeries(ThroughputBucketSeconds);
        return [("all tables", all.Select(p => p.At).ToArray(), all.Select(p => p.PerSecond).ToArray())];
    }

    private static (string Name, double[] X, double[] Y) Series<T>(string name, IEnumerable<T> samples, Func<T, DateTimeOffset> at, Func<T, double> value, DemoReportData report)
    {
        var ordered = samples.OrderBy(at).ToList();
        return (name, ordered.Select(s => report.Since(at(s))).ToArray(), ordered.Select(value).ToArray());
    }

    private static void Chart(StringBuilder html, string id, string title, string caption, string svg)
    {
        html.Append(CultureInfo.InvariantCulture, $"<figure class=\"chart\" id=\"chart-{id}\">\n<h3>{E(title)}</h3>\n");
        // Inline SVG in HTML needs no namespace declarations; dropping them leaves no URL in the page.
        html.Append(NamespaceDeclaration().Replace(svg, ""));
        html.Append(CultureInfo.InvariantCulture, $"\n<figcaption>{E(caption)}</figcaption>\n</figure>\n");
    }

    private static void Table(StringBuilder html, IReadOnlyList<string> header, IEnumerable<string[]> rows, bool numeric = false)
    {
        html.Append("<table><tr>");
        foreach (var h in header) html.Append(CultureInfo.InvariantCulture, $"<th>{E(h)}</th>");
        html.Append("</tr>\n");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Length; i++)
                html.Append(CultureInfo.InvariantCulture, $"<td{(numeric && i > 0 ? " class=\"n\"" : "")}>{E(row[i])}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString("F0", CultureInfo.InvariantCulture);

    [GeneratedRegex("""\s+xmlns(:\w+)?="[^"]*"|<\?xml[^>]*\?>""")]
    private static partial Regex NamespaceDeclaration();
}
