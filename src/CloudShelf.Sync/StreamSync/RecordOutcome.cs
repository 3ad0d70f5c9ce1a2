namespace CloudShelf.Sync.StreamSync;

/// <summary>What became of one record.</summary>
public enum RecordOutcome
{
    /// <summary>Committed as its item's newest state.</summary>
    Applied,
    /// <summary>Committed, but a newer change of the item was already there (or later in the batch): no effect.</summary>
    Superseded,
    /// <summary>Nothing to do: its table is not synced, or the item it points to no longer exists.</summary>
    Skipped,
    /// <summary>Set aside in the quarantine table with its reason.</summary>
    Quarantined,
    /// <summary>Not applied; Lambda must deliver it again.</summary>
    Failed,
}
