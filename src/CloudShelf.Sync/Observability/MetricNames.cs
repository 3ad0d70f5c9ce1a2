namespace CloudShelf.Sync.Observability;

/// <summary>Metric names the code emits; <c>template.yaml</c> alarms and dashboard refer to the same names.</summary>
public static class MetricNames
{
    /// <summary>CloudWatch namespace of every metric.</summary>
    public const string Namespace = "CloudShelf/Sync";

    /// <summary>Stream records written to PostgreSQL.</summary>
    public const string RecordsApplied = "RecordsApplied";

    /// <summary>Stream records not applied on purpose, e.g. from tables that are not mapped.</summary>
    public const string RecordsSkipped = "RecordsSkipped";

    /// <summary>Stream records put in quarantine with their payload and reason.</summary>
    public const string RecordsQuarantined = "RecordsQuarantined";

    /// <summary>Stream records reported as batch item failures.</summary>
    public const string RecordsFailed = "RecordsFailed";

    /// <summary>Age of the oldest stream change not yet in PostgreSQL (0 when every change read is in).</summary>
    public const string SyncLagSeconds = "SyncLagSeconds";

    /// <summary>Seconds left before the oldest unprocessed record falls out of the 24-hour stream retention.</summary>
    public const string RetentionHeadroomSeconds = "RetentionHeadroomSeconds";

    /// <summary>Stream changes sync-lag read that are not in PostgreSQL yet.</summary>
    public const string UnappliedChanges = "UnappliedChanges";

    /// <summary>Stream changes the event source mapping passed over without applying them (quarantined until replayed).</summary>
    public const string LostChanges = "LostChanges";

    /// <summary>Open quarantine entries (per table, and service-wide), counted by sync-lag every run.</summary>
    public const string QuarantineOpen = "QuarantineOpen";

    /// <summary>Items that differ between DynamoDB and PostgreSQL in a drift check.</summary>
    public const string DataDriftCount = "DataDriftCount";

    /// <summary>Wall-clock time to handle one stream batch.</summary>
    public const string BatchDurationMs = "BatchDurationMs";

    /// <summary>Attribute values that did not fit the column they map to.</summary>
    public const string IllFittingValues = "IllFittingValues";

    /// <summary>Deletes caused by DynamoDB TTL expiry rather than by a user.</summary>
    public const string TtlDeletes = "TtlDeletes";

    /// <summary>Every metric name above except <see cref="Namespace"/>, for the template contract test.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        RecordsApplied, RecordsSkipped, RecordsQuarantined, RecordsFailed, SyncLagSeconds,
        RetentionHeadroomSeconds, UnappliedChanges, LostChanges, QuarantineOpen, DataDriftCount, BatchDurationMs, IllFittingValues, TtlDeletes,
    ];
}
