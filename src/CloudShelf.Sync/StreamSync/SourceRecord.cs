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
