using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>A stream record as the sync sees it: where it came from and where it stands in its shard.</summary>
/// <param name="Record">The record as delivered.</param>
/// <param name="SourceTable">The DynamoDB table named by the record's stream ARN, if any.</param>
/// <param name="QuarantineId">Set when the record is being replayed out of quarantine.</param>
public sealed record SourceRecord(DynamoDBStreamRecord Record, string? SourceTable, long? QuarantineId = null)
{
    /// <summary>The record's sequence number as delivered (may be invalid on an unreadable record).</summary>
    public string? SequenceNumber => Record.Dynamodb?.SequenceNumber;
}

/// <summary>Whether a change writes or removes its row.</summary>
public enum ChangeKind
{
    /// <summary>INSERT or MODIFY: the row takes the new image.</summary>
    Upsert,
    /// <summary>REMOVE: the row goes and a tombstone stays.</summary>
    Delete,
}

/// <summary>
/// The net change to one item within a batch: the newest of its records (by sequence number),
/// with the older ones it supersedes.
/// </summary>
public sealed class Change
{
    /// <summary>The mapping of the item's table.</summary>
    public required TableMapping Table { get; init; }

    /// <summary>The item's key.</summary>
    public required string Key { get; init; }

    /// <summary>The sequence number of the newest record, validated.</summary>
    public required string SequenceNumber { get; init; }

    /// <summary>Upsert or delete.</summary>
    public required ChangeKind Kind { get; init; }

    /// <summary>A delete made by DynamoDB's TTL expiry.</summary>
    public bool TtlDelete { get; init; }

    /// <summary>When DynamoDB made the change, if the record says.</summary>
    public DateTimeOffset? ChangedAt { get; init; }

    /// <summary>The new row, for an upsert.</summary>
    public MappedRow? Row { get; init; }

    /// <summary>Every record folded into this change, oldest first; the last one is the change itself.</summary>
    public required IReadOnlyList<SourceRecord> Records { get; init; }
}

/// <summary>A record set aside with the reason it could not be applied.</summary>
/// <param name="Source">The record.</param>
/// <param name="TargetTable">The PostgreSQL table it was meant for, when known.</param>
/// <param name="Key">The item key, when known.</param>
/// <param name="Reason">Why, in words an operator can act on.</param>
/// <param name="ErrorCode">A PostgreSQL SQLSTATE or the sync's own code (e.g. <c>unmappable</c>).</param>
public sealed record QuarantineEntry(SourceRecord Source, string? TargetTable, string? Key, string Reason, string ErrorCode);
