namespace CloudShelf.Sync.Demo;

/// <summary>Everything the closing report shows, gathered once for the terminal and the HTML page.</summary>
internal sealed record DemoReportData(
    DemoRun Run,
    List<TableComparison> Comparisons,
    List<QuarantineEntry> OpenQuarantine,
    Dictionary<string, LatencyStats> Latencies,
    List<string> Problems)
{
    public bool Passed => Problems.Count == 0;

    /// <summary>Seconds since the live phase began.</summary>
    public double Since(DateTimeOffset at) => (at - Run.LiveStarted).TotalSeconds;

    /// <summary>What became of each seeded defect, one line each.</summary>
    public IEnumerable<(SeededDefect Defect, string Outcome)> DefectOutcomes() => Run.Catalogue.Defects.Select(d =>
    {
        var comparison = Comparisons.First(c => c.Table == d.Table);
        var outcome = string.Join("; ", d.Keys.Select(k =>
            (Run.QuarantineFound.Any(q => q.Table == d.Table && q.Key == k) ? $"{k} quarantined, fixed, " : $"{k} ")
            + (OpenQuarantine.Any(q => q.Table == d.Table && q.Key == k) ? "still quarantined"
                : comparison.EqualKeys.Contains(k) ? "row equals DynamoDB's item" : "MISSING OR DIFFERENT")));
        return (d, outcome);
    });

    /// <summary>stream-sync's applied records per second, in buckets of <paramref name="bucketSeconds"/> from the live start.</summary>
    public List<(double At, double PerSecond)> ThroughputSeries(double bucketSeconds)
    {
        if (Run.Throughput.Count == 0) return [];
        var buckets = Run.Throughput.GroupBy(t => (int)Math.Floor(Since(t.At) / bucketSeconds))
            .ToDictionary(g => g.Key, g => g.Sum(t => t.Applied));
        var last = buckets.Keys.Max();
        return Enumerable.Range(Math.Min(0, buckets.Keys.Min()), last - Math.Min(0, buckets.Keys.Min()) + 1)
            .Select(b => (b * bucketSeconds + bucketSeconds / 2, buckets.GetValueOrDefault(b) / bucketSeconds)).ToList();
    }

    /// <summary>Every lag sample, the schedule's.</summary>
    public IReadOnlyList<LagSample> Lag => Run.Monitors?.Lag ?? [];

    /// <summary>The scheduled drift runs and then the final pass.</summary>
    public IReadOnlyList<DriftSample> Drift => [.. Run.Monitors?.Drift ?? [], .. Run.FinalDrift];
}
