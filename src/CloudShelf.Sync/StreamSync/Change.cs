using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.StreamSync;

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
