namespace CloudShelf.Sync.StreamReading;

/// <summary>How much one read of a shard may take.</summary>
/// <param name="MaxRecords">At most this many records (GetRecords pages of up to 1,000 each).</param>
/// <param name="MaxDuration">Stop asking for further pages after this long.</param>
public sealed record ShardReadBudget(int MaxRecords, TimeSpan MaxDuration)
{
    /// <summary>One GetRecords page's worth.</summary>
    public static ShardReadBudget OnePage { get; } = new(ShardReader.MaxPageSize, TimeSpan.FromSeconds(5));
}
