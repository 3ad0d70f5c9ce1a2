namespace CloudShelf.Sync.Drift;

/// <summary>What a run found in one table.</summary>
public sealed class DriftTableReport
{
    /// <summary>The PostgreSQL table.</summary>
    public required string Table { get; init; }

    /// <summary>The full-mode pass the run worked on; null in sampled mode.</summary>
    public long? PassId { get; set; }

    /// <summary>Keys compared by this run.</summary>
    public long ItemsCompared { get; set; }

    /// <summary>Keys in DynamoDB only (drift, not in flight).</summary>
    public int Missing { get; set; }

    /// <summary>Keys in PostgreSQL only.</summary>
    public int Extra { get; set; }

    /// <summary>Keys whose content differs.</summary>
    public int Changed { get; set; }

    /// <summary>Differences that were in flight: re-checked, not counted.</summary>
    public int InFlight { get; set; }

    /// <summary>Drift repaired by this run.</summary>
    public int Repaired { get; set; }

    /// <summary>Fraction of the table compared: of the pass's segments (full) or of the table (sample).</summary>
    public double Coverage { get; set; }

    /// <summary>This run completed its pass: every segment and the extras of the table are compared.</summary>
    public bool FullCoverage { get; set; }

    /// <summary>Unresolved drift of the table once the run ended (what <c>DataDriftCount</c> reports).</summary>
    public int OpenDrift { get; set; }

    /// <summary>The findings of this run (at most <see cref="DriftDetector.MaxReportedFindings"/>).</summary>
    public List<DriftFinding> Findings { get; } = [];

    /// <summary>Drift found by this run (missing, extra, changed; not in flight).</summary>
    public int Drift => Missing + Extra + Changed;
}
