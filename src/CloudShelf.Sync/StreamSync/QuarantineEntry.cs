namespace CloudShelf.Sync.StreamSync;

/// <summary>A record set aside with the reason it could not be applied.</summary>
/// <param name="Source">The record.</param>
/// <param name="TargetTable">The PostgreSQL table it was meant for, when known.</param>
/// <param name="Key">The item key, when known.</param>
/// <param name="Reason">Why, in words an operator can act on.</param>
/// <param name="ErrorCode">A PostgreSQL SQLSTATE or the sync's own code (e.g. <c>unmappable</c>).</param>
public sealed record QuarantineEntry(SourceRecord Source, string? TargetTable, string? Key, string Reason, string ErrorCode)
{
    /// <summary>
    /// For a unique violation: the key of the row that holds the contested value. When that row
    /// changes, the entry is tried again, because ordering may have been all that was wrong (an
    /// e-mail handed from one user to another, the two changes in different batches).
    /// </summary>
    public string? ConflictKey { get; init; }
}
