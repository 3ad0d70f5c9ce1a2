using System.Globalization;

namespace CloudShelf.Sync.StreamSync;

/// <summary>
/// Stream records over a window and the share that went wrong: (failed + quarantined) over
/// (applied + failed + quarantined). Skipped records (unsynced tables such as carts) are left out, so
/// that the rate is the one the template's alarm computes from RecordsApplied, RecordsFailed and
/// RecordsQuarantined. A failed record counts at every delivery, as the metrics count it.
/// </summary>
/// <param name="Applied">Records applied (superseded included).</param>
/// <param name="Quarantined">Records quarantined.</param>
/// <param name="Failed">Records failed (each delivery).</param>
public sealed record ErrorRate(long Applied, long Quarantined, long Failed)
{
    /// <summary>Records of synced tables in the window.</summary>
    public long Records => Applied + Quarantined + Failed;

    /// <summary>The share of failed and quarantined records, 0 to 1; 0 when there were no records.</summary>
    public double Rate => Records == 0 ? 0 : (double)(Quarantined + Failed) / Records;

    /// <summary>The sum of several windows' counts.</summary>
    public static ErrorRate Sum(IEnumerable<TableBatchCounts> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        long applied = 0, quarantined = 0, failed = 0;
        foreach (var c in counts)
        {
            applied += c.Applied;
            quarantined += c.Quarantined;
            failed += c.Failed;
        }
        return new ErrorRate(applied, quarantined, failed);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Rate * 100:0.###} % ({Quarantined + Failed} of {Records} records)");
}
