using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamReading;

/// <summary>What one read of a shard returned.</summary>
/// <param name="ShardId">The shard.</param>
/// <param name="Records">The records, as Lambda delivers them, in shard order.</param>
/// <param name="Next">Where the next read continues (store it as the checkpoint once the records are handled).</param>
/// <param name="Ended">The shard is closed and read to its end: its children may be read now.</param>
/// <param name="Gap">Records lost to retention before these, if any.</param>
public sealed record ShardReadResult(string ShardId, IReadOnlyList<DynamoDBStreamRecord> Records, StreamPosition Next, bool Ended, StreamGap? Gap);
