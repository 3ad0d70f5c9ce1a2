namespace CloudShelf.Sync.StreamReading;

/// <summary>A consumer's progress in one shard.</summary>
/// <param name="ShardId">The shard.</param>
/// <param name="SequenceNumber">The last record handled, or null when none was.</param>
/// <param name="Finished">The shard was read to its end.</param>
public sealed record ShardCheckpoint(string ShardId, string? SequenceNumber, bool Finished)
{
    /// <summary>Where reading continues, or <paramref name="initial"/> when nothing was handled yet.</summary>
    public StreamPosition Resume(StreamPosition initial) => SequenceNumber is null ? initial : StreamPosition.After(SequenceNumber);
}
