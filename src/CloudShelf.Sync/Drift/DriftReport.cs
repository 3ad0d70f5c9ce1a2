namespace CloudShelf.Sync.Drift;

/// <summary>What a drift run did.</summary>
/// <param name="RunId">The run's id in <c>cloudshelf_sync.drift_runs</c>.</param>
/// <param name="Mode"><c>full</c> or <c>sample</c>.</param>
/// <param name="Tables">Per table, in mapping order.</param>
public sealed record DriftReport(long RunId, string Mode, IReadOnlyList<DriftTableReport> Tables)
{
    /// <summary>Unresolved drift in the compared tables once the run ended.</summary>
    public int OpenDrift => Tables.Sum(t => t.OpenDrift);

    /// <summary>Whether every compared table had a full pass completed by this run.</summary>
    public bool FullCoverage => Tables.All(t => t.FullCoverage);
}
