using System.Collections.Concurrent;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>
/// DynamoDB Local's Streams API as it would look after a shard split, which DynamoDB Local does not do
/// on demand: each stream's shard is presented as a parent closed at a split point and two open
/// children (ParentShardId = the parent) that share the records after it by key, as a split shares the
/// key space. Every record is DynamoDB Local's own, read through the real API; only the shard
/// boundaries are drawn here.
/// </summary>
public sealed class SplitShardStreams(IDynamoDbStreams real, IReadOnlyDictionary<string, (string ShardId, string SplitAfter)> splits) : IDynamoDbStreams
{
    private const int Children = 2;
    private readonly ConcurrentDictionary<string, (string Shard, int Child, string SplitAfter, string RealIterator)> _iterators = new(StringComparer.Ordinal);

    /// <summary>The child shard ids of a split shard.</summary>
    public static string ChildId(string parent, int child) => $"{parent}-child{child}";

    /// <inheritdoc />
    public async Task<StreamDescriptionPage> DescribeStreamAsync(string streamArn, string? exclusiveStartShardId, CancellationToken cancellationToken)
    {
        var page = await real.DescribeStreamAsync(streamArn, exclusiveStartShardId, cancellationToken);
        if (!splits.TryGetValue(streamArn, out var split)) return page;
        var shards = new List<StreamShard>();
        foreach (var shard in page.Shards)
        {
            if (shard.ShardId != split.ShardId)
            {
                shards.Add(shard);
                continue;
            }
            shards.Add(shard with { EndingSequenceNumber = split.SplitAfter });
            for (var child = 0; child < Children; child++) shards.Add(new StreamShard(ChildId(shard.ShardId, child), shard.ShardId, null, null));
        }
        return page with { Shards = shards };
    }

    /// <inheritdoc />
    public async Task<string> GetShardIteratorAsync(string streamArn, string shardId, ShardIteratorType type, string? sequenceNumber,
        CancellationToken cancellationToken)
    {
        if (!splits.TryGetValue(streamArn, out var split)) return await real.GetShardIteratorAsync(streamArn, shardId, type, sequenceNumber, cancellationToken);
        var child = -1;
        for (var c = 0; c < Children; c++)
        {
            if (shardId == ChildId(split.ShardId, c)) child = c;
        }
        if (child < 0)
        {
            if (shardId != split.ShardId) return await real.GetShardIteratorAsync(streamArn, shardId, type, sequenceNumber, cancellationToken);
            return Wrap(shardId, -1, split.SplitAfter, await real.GetShardIteratorAsync(streamArn, shardId, type, sequenceNumber, cancellationToken));
        }
        // A child begins after the split point.
        var iterator = type == ShardIteratorType.TRIM_HORIZON
            ? await real.GetShardIteratorAsync(streamArn, split.ShardId, ShardIteratorType.AFTER_SEQUENCE_NUMBER, split.SplitAfter, cancellationToken)
            : await real.GetShardIteratorAsync(streamArn, split.ShardId, type, sequenceNumber, cancellationToken);
        return Wrap(shardId, child, split.SplitAfter, iterator);
    }

    /// <inheritdoc />
    public async Task<RecordsPage> GetRecordsAsync(string shardIterator, int limit, CancellationToken cancellationToken)
    {
        if (!_iterators.TryGetValue(shardIterator, out var virtualIterator)) return await real.GetRecordsAsync(shardIterator, limit, cancellationToken);
        var (shard, child, splitAfter, realIterator) = virtualIterator;
        var page = await real.GetRecordsAsync(realIterator, limit, cancellationToken);
        if (child < 0)
        {
            var records = page.Records.Where(r => SequenceNumbers.Compare(r.Dynamodb!.SequenceNumber!, splitAfter) <= 0).ToList();
            var ended = page.NextShardIterator is null || page.Records.Any(r => SequenceNumbers.Compare(r.Dynamodb!.SequenceNumber!, splitAfter) >= 0);
            return new RecordsPage(records, ended ? null : Wrap(shard, child, splitAfter, page.NextShardIterator!));
        }
        var mine = page.Records.Where(r => SequenceNumbers.Compare(r.Dynamodb!.SequenceNumber!, splitAfter) > 0 && ChildOf(r) == child).ToList();
        return new RecordsPage(mine, page.NextShardIterator is null ? null : Wrap(shard, child, splitAfter, page.NextShardIterator));
    }

    private string Wrap(string shard, int child, string splitAfter, string realIterator)
    {
        var token = $"split-{Guid.NewGuid():N}";
        _iterators[token] = (shard, child, splitAfter, realIterator);
        return token;
    }

    // A split divides the key space: every change of one item goes to the same child.
    private static int ChildOf(StreamsApiRecord record)
    {
        var key = string.Join(",", record.Dynamodb!.Keys!.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Value.S));
        var sum = 0;
        foreach (var c in key) sum += c;
        return sum % Children;
    }
}
