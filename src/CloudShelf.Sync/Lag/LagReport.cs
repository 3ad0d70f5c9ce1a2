using System.Globalization;
using CloudShelf.Sync.Configuration;

namespace CloudShelf.Sync.Lag;

/// <summary>One sync-lag run over every synced table, judged against the thresholds.</summary>
/// <param name="Tables">Per table, in mapping order.</param>
/// <param name="Settings">The thresholds the report is judged by.</param>
public sealed record LagReport(IReadOnlyList<TableLag> Tables, LagSettings Settings)
{
    /// <summary>What is wrong, one line per table and finding; empty when healthy.</summary>
    public IReadOnlyList<string> Problems => Tables.SelectMany(t => ProblemsOf(t, Settings)).ToList();

    /// <summary>No table is behind, short of headroom, or has lost changes.</summary>
    public bool Healthy => Problems.Count == 0;

    private static IEnumerable<string> ProblemsOf(TableLag t, LagSettings settings)
    {
        if (t.SyncLag > settings.LagThreshold)
            yield return string.Create(CultureInfo.InvariantCulture, $"{t.Table}: sync lag {t.SyncLag.TotalSeconds:0} s is over {settings.LagThreshold.TotalSeconds:0} s");
        if (t.RetentionHeadroom < settings.HeadroomThreshold)
            yield return string.Create(CultureInfo.InvariantCulture, $"{t.Table}: retention headroom {t.RetentionHeadroom.TotalSeconds:0} s is under {settings.HeadroomThreshold.TotalSeconds:0} s");
        if (t.LostChanges > 0)
            yield return string.Create(CultureInfo.InvariantCulture, $"{t.Table}: {t.LostChanges} change(s) lost by the event source mapping are quarantined; run `cloudshelf-sync quarantine replay --all-open`");
        if (t.RetentionGaps > 0)
            yield return string.Create(CultureInfo.InvariantCulture, $"{t.Table}: records left the stream on {t.RetentionGaps} shard(s) before sync-lag read them; run a drift check");
    }
}
