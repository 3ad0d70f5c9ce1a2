using System.Globalization;

namespace CloudShelf.Sync.Demo;

/// <summary>The demo's closing report: per table counts and latency, the quarantine, the defects, the verdict.</summary>
internal static class DemoReport
{
    public static void Print(DemoRun run, List<TableComparison> comparisons, List<QuarantineEntry> quarantine,
        Dictionary<string, LatencyStats> latencies, List<string> problems)
    {
        var o = run.Output;
        o.WriteLine();
        o.WriteLine(Row("table", "DynamoDB", "PostgreSQL", "equal", "quarant.", "backfilled", "stream rec.", "applied", "p50 ms", "p99 ms", "samples"));
        foreach (var c in comparisons)
        {
            var t = run.Tallies[c.Table];
            var l = latencies[c.Table];
            o.WriteLine(Row(c.Table, N(c.DynamoItems), N(c.PostgresRows), N(c.Equal), N(c.Excused.Count), N(t.BackfillWritten),
                N(t.StreamRecordsRead), N(t.StreamRecordsApplied), VerifyPhase.Ms(l.P50), VerifyPhase.Ms(l.P99), N(l.Count)));
        }
        o.WriteLine("   DynamoDB, PostgreSQL: items and rows after the drain; equal: rows whose rebuilt item equals DynamoDB's item;");
        o.WriteLine("   backfilled: rows the backfill wrote (the others had a newer streamed row already); stream rec.: records stream run");
        o.WriteLine("   read, live and drain (a record read but not yet delivered when the live run stopped is read again); applied:");
        o.WriteLine("   stream-sync's RecordsApplied; p50, p99: from the traffic sending an item's last write to its row's commit (synced_at).");
        o.WriteLine();

        o.WriteLine($"quarantine: {quarantine.Count} open record(s) after the replay ({(run.ReplaySummary.Length > 0 ? run.ReplaySummary : "no replay")})");
        foreach (var q in quarantine)
            o.WriteLine($"   #{q.Id} {q.Table} {q.Key} {q.EventName} [{q.ErrorCode}] {q.Reason}");

        o.WriteLine("seeded defects:");
        foreach (var d in run.Catalogue.Defects)
        {
            var comparison = comparisons.First(c => c.Table == d.Table);
            var outcome = string.Join("; ", d.Keys.Select(k => quarantine.Any(q => q.Table == d.Table && q.Key == k)
                ? $"{k} quarantined"
                : comparison.EqualKeys.Contains(k) ? $"{k} row equals DynamoDB's item" : $"{k} MISSING OR DIFFERENT"));
            o.WriteLine($"   {d.Table} {d.Kind}: {outcome}");
        }

        o.WriteLine("phases:");
        foreach (var (phase, elapsed) in run.Timings) o.WriteLine(FormattableString.Invariant($"   {elapsed.TotalSeconds,6:F1} s  {phase}"));
        o.WriteLine();

        foreach (var c in comparisons)
        {
            foreach (var d in c.Differences) o.WriteLine($"   difference {c.Table} {d}");
            if (c.DifferenceCount > c.Differences.Count) o.WriteLine($"   ... and {c.DifferenceCount - c.Differences.Count} more in {c.Table}");
        }
        foreach (var p in problems) o.WriteLine("problem: " + p);
        if (problems.Count == 0)
        {
            var excused = comparisons.Sum(c => c.Excused.Count);
            o.WriteLine(FormattableString.Invariant(
                $"PostgreSQL equals DynamoDB: {comparisons.Sum(c => c.Equal)} items in {comparisons.Count} tables, apart from {excused} quarantined defect(s)"));
        }
        else
        {
            o.WriteLine($"PostgreSQL does NOT equal DynamoDB apart from the quarantined defects; logs in {run.Stack.LogDirectory}");
        }
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Row(params string[] cells) =>
        string.Create(CultureInfo.InvariantCulture, $"{cells[0],-8}{string.Concat(cells.Skip(1).Select(c => $"{c,12}"))}");
}
