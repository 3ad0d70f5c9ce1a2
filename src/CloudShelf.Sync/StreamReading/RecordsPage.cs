namespace CloudShelf.Sync.StreamReading;

/// <summary>One GetRecords answer.</summary>
/// <param name="Records">The records, in shard order.</param>
/// <param name="NextShardIterator">Null once a closed shard has been read to its end.</param>
public sealed record RecordsPage(IReadOnlyList<StreamsApiRecord> Records, string? NextShardIterator);
