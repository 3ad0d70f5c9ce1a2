namespace CloudShelf.Sync.StreamReading;

/// <summary>One shard of a stream, as DescribeStream lists it.</summary>
/// <param name="ShardId">The shard's id.</param>
/// <param name="ParentShardId">The shard it split from, if any: read to its end first.</param>
/// <param name="StartingSequenceNumber">Its first sequence number.</param>
/// <param name="EndingSequenceNumber">Its last sequence number once closed; null while it is open.</param>
public sealed record StreamShard(string ShardId, string? ParentShardId, string? StartingSequenceNumber, string? EndingSequenceNumber)
{
    /// <summary>A closed shard takes no new records: reading it to its end finishes it.</summary>
    public bool IsClosed => EndingSequenceNumber is not null;
}
