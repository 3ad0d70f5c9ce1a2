using System.Globalization;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// After the cut-over check: both stores scanned and compared in full, the quarantine held against the
/// seeded defects (before the operator's fix exactly the genuine ones, after it none), the
/// write-to-row latency of the traffic's last write to each item; then the report, on the terminal and
/// as <c>report.html</c>. The demo passes on GO with both stores equal.
/// </summary>
internal sealed class VerifyPhase : IDemoPhase
{
    public string Title => "Verify: compare PostgreSQL with DynamoDB in full; the report";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var stack = run.Stack;
        var quarantine = CliReports.ParseQuarantine(
            await stack.RunCliAsync("quarantine-list", [0], ["quarantine", "list", "--json"], cancellationToken));
        var quarantinedKeys = quarantine.Select(q => (q.Table, q.Key)).ToHashSet();
        var comparisons = await StoreComparison.CompareAsync(stack, quarantinedKeys, cancellationToken);
        var latencies = new Dictionary<string, LatencyStats>(StringComparer.Ordinal);
        foreach (var mapping in stack.Mapping.Tables)
            latencies[mapping.Table] = await MeasureLatencyAsync(run, mapping, cancellationToken);

        var problems = new List<string>();
        foreach (var c in comparisons.Where(c => c.DifferenceCount > 0))
            problems.Add($"{c.Table}: {c.DifferenceCount} difference(s) not explained by the quarantine");
        problems.AddRange(CheckQuarantine(run.Catalogue, run.QuarantineFound));
        foreach (var q in quarantine) problems.Add($"quarantine #{q.Id} {q.Table} {q.Key} is still open after the operator's fix: {q.Reason}");
        if (run.Verdict != "GO") problems.Add($"the cut-over check says {(run.Verdict.Length == 0 ? "nothing" : run.Verdict)}");

        var report = new DemoReportData(run, comparisons, quarantine, latencies, problems);
        DemoReport.Print(report);
        var page = Path.Combine(stack.OutputDirectory, "report.html");
        Directory.CreateDirectory(stack.OutputDirectory);
        await File.WriteAllTextAsync(page, HtmlReport.Render(report), cancellationToken);
        run.Output.WriteLine($"report: {page}");
        run.Passed = problems.Count == 0;
    }

    /// <summary>After the replay of ordering conflicts, exactly the genuine defects: one user of the duplicate e-mail pair, nothing else.</summary>
    private static IEnumerable<string> CheckQuarantine(Catalogue catalogue, List<QuarantineEntry> quarantine)
    {
        var expected = catalogue.Defects.Where(d => d.QuarantinesOne).ToList();
        foreach (var defect in expected)
        {
            var held = defect.Keys.Where(k => quarantine.Any(q => q.Table == defect.Table && q.Key == k)).ToList();
            if (held.Count != 1)
                yield return $"{defect.Kind}: expected one of {string.Join(", ", defect.Keys)} in the quarantine, found {held.Count}";
        }
        foreach (var q in quarantine.Where(q => !expected.Any(d => d.Table == q.Table && d.Keys.Contains(q.Key))))
            yield return $"the quarantine held {q.Table} {q.Key}, which is no seeded defect: {q.Reason}";
    }

    /// <summary>
    /// For every item the traffic last wrote and left in place: its row's <c>synced_at</c> (the
    /// commit's transaction time) minus the moment the write was sent.
    /// </summary>
    private static async Task<LatencyStats> MeasureLatencyAsync(DemoRun run, Mapping.TableMapping mapping, CancellationToken cancellationToken)
    {
        var writes = run.Writes.LastUpserts(mapping.Table);
        var samples = new List<double>();
        await using var command = run.Stack.DataSource.CreateCommand(
            $"SELECT {mapping.KeyColumn}, synced_at FROM {mapping.Schema}.{mapping.Table} WHERE {mapping.KeyColumn} = ANY($1)");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = writes.Keys.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var synced = new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero);
            samples.Add((synced - writes[reader.GetString(0)]).TotalMilliseconds);
        }
        return LatencyStats.Of(samples);
    }

    internal static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString("N0", CultureInfo.InvariantCulture);
}
