namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// Records were lost to retention: the position asked for is older than the stream keeps
/// (<c>TrimmedDataAccessException</c>), and reading went on from the oldest record kept.
/// A consumer must count and report it; it is never skipped silently.
/// </summary>
/// <param name="ShardId">The shard.</param>
/// <param name="From">The position that could not be read.</param>
/// <param name="Reason">The service's message.</param>
public sealed record StreamGap(string ShardId, StreamPosition From, string Reason);
