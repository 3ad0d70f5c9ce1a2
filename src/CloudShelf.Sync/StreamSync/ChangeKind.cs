namespace CloudShelf.Sync.StreamSync;

/// <summary>Whether a change writes or removes its row.</summary>
public enum ChangeKind
{
    /// <summary>INSERT or MODIFY: the row takes the new image.</summary>
    Upsert,
    /// <summary>REMOVE: the row goes and a tombstone stays.</summary>
    Delete,
}
