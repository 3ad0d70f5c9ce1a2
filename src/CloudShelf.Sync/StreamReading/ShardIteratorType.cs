namespace CloudShelf.Sync.StreamReading;

/// <summary>Where a shard iterator starts, named as on the wire.</summary>
public enum ShardIteratorType
{
    /// <summary>The oldest record the shard still keeps.</summary>
    TRIM_HORIZON,
    /// <summary>Just after the newest record: only what is written from now on.</summary>
    LATEST,
    /// <summary>At the given sequence number.</summary>
    AT_SEQUENCE_NUMBER,
    /// <summary>Just after the given sequence number: where a checkpoint continues.</summary>
    AFTER_SEQUENCE_NUMBER,
}
