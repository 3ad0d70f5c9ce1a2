using CloudShelf.Sync.StreamSync;

namespace CloudShelf.Sync.Postgres;

/// <summary>What a write did.</summary>
public sealed class WriteResult
{
    /// <summary>Changes that became the item's newest state (the others were already applied or older).</summary>
    public required IReadOnlySet<Change> Won { get; init; }

    /// <summary>Changes applied or proven stale, in a committed transaction.</summary>
    public required IReadOnlyList<Change> Committed { get; init; }

    /// <summary>Every record put in quarantine by this write, including those found while writing.</summary>
    public required IReadOnlyList<QuarantineEntry> Quarantined { get; init; }
}
