namespace CloudShelf.Sync.StreamSync;

/// <summary>The outcome of a replay.</summary>
/// <param name="Attempted">Records taken out of quarantine and tried.</param>
/// <param name="Applied">Applied as their item's newest state.</param>
/// <param name="Superseded">Already overtaken by a newer change of their item: resolved without effect.</param>
/// <param name="Skipped">Their table is no longer synced: resolved without effect.</param>
/// <param name="StillQuarantined">Refused again; their reason is updated.</param>
/// <param name="Failed">Not tried to the end (database trouble); still open.</param>
public sealed record ReplayResult(int Attempted, int Applied, int Superseded, int Skipped, int StillQuarantined, int Failed)
{
    /// <summary>Both results together.</summary>
    public ReplayResult Add(ReplayResult other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Attempted + other.Attempted, Applied + other.Applied, Superseded + other.Superseded,
            Skipped + other.Skipped, StillQuarantined + other.StillQuarantined, Failed + other.Failed);
    }
}
