namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// Reads DynamoDB streams: the shard tree of a stream, and shards from a given position within a
/// budget. Used by the local event source mapping (as Lambda's mapping would) and by sync-lag as a
/// second consumer from its own checkpoints.
/// </summary>
public sealed class DynamoDbStreamReader(IDynamoDbStreams api, TimeProvider time)
{
    /// <summary>Every shard of the stream, all DescribeStream pages.</summary>
    /// <exception cref="StreamsApiException">The stream does not exist or the call failed.</exception>
    public async Task<ShardTree> DescribeStreamAsync(string streamArn, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamArn);
        var shards = new List<StreamShard>();
        string? start = null;
        StreamDescriptionPage page;
        do
        {
            page = await api.DescribeStreamAsync(streamArn, start, cancellationToken);
            shards.AddRange(page.Shards);
            start = page.LastEvaluatedShardId;
        } while (start is not null);
        return new ShardTree(page.StreamArn, page.TableName, page.StreamStatus, page.StreamViewType, shards);
    }

    /// <summary>A reader of one shard from a position, keeping its iterator across reads.</summary>
    public ShardReader OpenShard(string streamArn, StreamShard shard, StreamPosition from)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamArn);
        ArgumentNullException.ThrowIfNull(shard);
        return new ShardReader(api, time, streamArn, shard, from);
    }

    /// <summary>One read of a shard from a position (a checkpoint): the records and where to continue.</summary>
    public Task<ShardReadResult> ReadShardAsync(string streamArn, StreamShard shard, StreamPosition from, ShardReadBudget budget,
        CancellationToken cancellationToken) =>
        OpenShard(streamArn, shard, from).ReadAsync(budget, cancellationToken);
}
