namespace CloudShelf.Sync.Postgres;

/// <summary>One quarantined record as operators see it.</summary>
public sealed record QuarantinedRecord(
    long Id,
    string? SourceTable,
    string? TargetTable,
    string? Key,
    string? SequenceNumber,
    string? EventName,
    string Reason,
    string? ErrorCode,
    DateTimeOffset QuarantinedAt,
    int ReplayAttempts,
    DateTimeOffset? ResolvedAt,
    string? Resolution,
    string RecordJson)
{
    /// <summary>How often the record was delivered (or found again) while this entry was open.</summary>
    public int Deliveries { get; init; } = 1;

    /// <summary>When a delivery last found this entry open; null when it was delivered once.</summary>
    public DateTimeOffset? LastSeenAt { get; init; }

    /// <summary>For a unique violation: the key of the row holding the contested value; the entry is tried again when it changes.</summary>
    public string? ConflictKey { get; init; }
}
