namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// A stream's shards with their lineage, from a full (paged) DescribeStream. DynamoDB splits
/// shards: a child holds the changes that follow its parent's, so a consumer reads a child only
/// after its parent is read to its end, or the order of changes to one item breaks.
/// </summary>
public sealed class ShardTree
{
    private readonly Dictionary<string, StreamShard> _byId;

    /// <summary>Builds the tree.</summary>
    public ShardTree(string streamArn, string? tableName, string? streamStatus, string? streamViewType, IReadOnlyList<StreamShard> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        StreamArn = streamArn;
        TableName = tableName;
        StreamStatus = streamStatus;
        StreamViewType = streamViewType;
        Shards = shards;
        _byId = new Dictionary<string, StreamShard>(StringComparer.Ordinal);
        foreach (var shard in shards) _byId[shard.ShardId] = shard;
    }

    /// <summary>The stream.</summary>
    public string StreamArn { get; }

    /// <summary>Its table.</summary>
    public string? TableName { get; }

    /// <summary>ENABLED etc.</summary>
    public string? StreamStatus { get; }

    /// <summary>KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.</summary>
    public string? StreamViewType { get; }

    /// <summary>Every shard the stream still lists, in DescribeStream's order.</summary>
    public IReadOnlyList<StreamShard> Shards { get; }

    /// <summary>The shard of an id, or null when the stream no longer lists it (trimmed after 24 hours).</summary>
    public StreamShard? Find(string shardId) => _byId.GetValueOrDefault(shardId);

    /// <summary>The shards that split from <paramref name="shardId"/>.</summary>
    public IReadOnlyList<StreamShard> Children(string shardId) =>
        Shards.Where(s => string.Equals(s.ParentShardId, shardId, StringComparison.Ordinal)).ToList();

    /// <summary>
    /// The shards a consumer may read now: not yet finished, and either without a parent, with a parent
    /// the stream no longer lists (its records are past retention), or with a finished parent.
    /// </summary>
    /// <param name="finished">Shards read to their end.</param>
    public IReadOnlyList<StreamShard> Readable(IReadOnlySet<string> finished)
    {
        ArgumentNullException.ThrowIfNull(finished);
        return Shards.Where(s => !finished.Contains(s.ShardId)
                                 && (s.ParentShardId is null || !_byId.ContainsKey(s.ParentShardId) || finished.Contains(s.ParentShardId)))
            .ToList();
    }
}
